package demo

import "github.com/kizuna-oss/kizuna/customer"

// Channel indexes, in the order of Channels() (own channels first).
const (
	chStore = iota
	chEC
	chApp
	chCatalog
	chDept
	chCall
	chRakuten
	chYahoo
	chAmazon
	numChannels
)

var channels = [numChannels]customer.Channel{
	chStore:   {Code: "store", Name: "直営店", NameEn: "Own stores", Kind: customer.KindStore, Priority: 10},
	chEC:      {Code: "ec", Name: "公式オンラインストア", NameEn: "Official online store", Kind: customer.KindEC, Priority: 20},
	chApp:     {Code: "app", Name: "公式アプリ", NameEn: "Official app", Kind: customer.KindApp, Priority: 30},
	chCatalog: {Code: "catalog", Name: "カタログ通販", NameEn: "Catalog mail order", Kind: customer.KindCatalog, Priority: 40},
	chDept:    {Code: "dept", Name: "百貨店カウンター", NameEn: "Department store counter", Kind: customer.KindDeptCounter, Priority: 50},
	chCall:    {Code: "callcenter", Name: "コールセンター", NameEn: "Call center", Kind: customer.KindCallCenter, Priority: 60},
	chRakuten: {Code: "rakuten", Name: "楽天市場店", NameEn: "Rakuten Ichiba shop", Kind: customer.KindMarketplace, Priority: 70},
	chYahoo:   {Code: "yahoo", Name: "Yahoo!ショッピング店", NameEn: "Yahoo! Shopping shop", Kind: customer.KindMarketplace, Priority: 80},
	chAmazon:  {Code: "amazon", Name: "Amazon店", NameEn: "Amazon shop", Kind: customer.KindMarketplace, Priority: 90},
}

// Channels returns the demo retailer's channels, own channels first; a lower
// Priority wins in survivorship. The slice is a fresh copy.
func Channels() []customer.Channel {
	out := make([]customer.Channel, numChannels)
	copy(out, channels[:])
	return out
}

var stores = []customer.Location{
	{Code: "S001", Name: "渋谷店", Channel: "store", Prefecture: "東京都", Address: "東京都渋谷区神南1丁目19番11号 神南ビル1・2階", Latitude: 35.6640, Longitude: 139.6995},
	{Code: "S002", Name: "梅田店", Channel: "store", Prefecture: "大阪府", Address: "大阪府大阪市北区梅田3丁目1番3号 梅田ステーションモール4階", Latitude: 34.7025, Longitude: 135.4959},
	{Code: "S003", Name: "栄店", Channel: "store", Prefecture: "愛知県", Address: "愛知県名古屋市中区栄3丁目5番12号", Latitude: 35.1688, Longitude: 136.9057},
	{Code: "S004", Name: "横浜店", Channel: "store", Prefecture: "神奈川県", Address: "神奈川県横浜市西区南幸1丁目5番1号 南幸プラザ2階", Latitude: 35.4660, Longitude: 139.6206},
	{Code: "S005", Name: "天神店", Channel: "store", Prefecture: "福岡県", Address: "福岡県福岡市中央区天神2丁目5番35号", Latitude: 33.5903, Longitude: 130.3994},
	{Code: "S006", Name: "札幌店", Channel: "store", Prefecture: "北海道", Address: "北海道札幌市中央区南一条西3丁目8番地", Latitude: 43.0588, Longitude: 141.3530},
	{Code: "D001", Name: "新宿百貨店カウンター", Channel: "dept", Prefecture: "東京都", Address: "東京都新宿区新宿3丁目25番1号 本館3階 婦人服売場", Latitude: 35.6915, Longitude: 139.7045},
	{Code: "W001", Name: "EC物流センター", Channel: "ec", Prefecture: "千葉県", Address: "千葉県市川市塩浜2丁目13番1号", Latitude: 35.6702, Longitude: 139.9335},
	{Code: "C001", Name: "那覇お客様センター", Channel: "callcenter", Prefecture: "沖縄県", Address: "沖縄県那覇市久茂地1丁目7番1号 久茂地センタービル6階", Latitude: 26.2150, Longitude: 127.6790},
}

// Stores returns the demo retailer's physical locations: own stores in six
// prefectures, a department-store counter in Shinjuku, the EC warehouse and
// the call center (customer.Location, formerly customer.Store). Location.Channel
// is the code of the channel it belongs to.
func Stores() []customer.Location {
	out := make([]customer.Location, len(stores))
	copy(out, stores)
	return out
}
