package demo

import (
	"strings"

	"github.com/kizuna-oss/kizuna/commerce"
)

// catalog is the demo retailer's assortment: a lifestyle chain selling
// tea and sweets, kitchen and tableware, skin care, household goods,
// apparel and the seasonal gift sets (お中元, お歳暮). Food and
// non-alcoholic drinks carry the reduced 8 % rate; the rest 10 %.
// Consumables have the days after which a customer typically buys again.
var catalog = []struct {
	sku, name, category, brand string
	price                      int64
	reduced                    bool
	repurchase                 int // days; 0 for durable goods
}{
	{"TEA-SEN-100", "静岡 深蒸し煎茶 100g", "食品/日本茶", "茶のこころ", 1080, true, 30},
	{"TEA-GYO-50", "宇治 玉露 50g", "食品/日本茶", "茶のこころ", 2160, true, 45},
	{"TEA-HOJ-TB", "ほうじ茶 ティーバッグ 20袋", "食品/日本茶", "茶のこころ", 648, true, 21},
	{"TEA-GEN-200", "抹茶入り玄米茶 200g", "食品/日本茶", "茶のこころ", 756, true, 30},
	{"TEA-MAT-30", "宇治抹茶 薄茶用 30g", "食品/日本茶", "茶のこころ", 1620, true, 40},
	{"SWT-YOK-1", "本練り羊羹 1本", "食品/和菓子", "菓匠 絆", 1296, true, 0},
	{"SWT-MON-6", "最中 6個入", "食品/和菓子", "菓匠 絆", 1080, true, 0},
	{"SWT-SEN-12", "手焼きせんべい 12枚", "食品/和菓子", "菓匠 絆", 864, true, 28},
	{"SWT-DOR-5", "どら焼き 5個入", "食品/和菓子", "菓匠 絆", 1188, true, 0},
	{"SWT-COO-18", "バタークッキー 18枚", "食品/洋菓子", "Kizuna Bakery", 1620, true, 0},
	{"SWT-FIN-8", "フィナンシェ 8個入", "食品/洋菓子", "Kizuna Bakery", 2160, true, 0},
	{"FOO-DAS-10", "焼きあごだしパック 10袋", "食品/調味料", "海の恵", 972, true, 35},
	{"FOO-SHO-500", "丸大豆しょうゆ 500ml", "食品/調味料", "海の恵", 540, true, 45},
	{"FOO-MIS-750", "米こうじ味噌 750g", "食品/調味料", "海の恵", 864, true, 40},
	{"FOO-RIC-5K", "新潟県産コシヒカリ 5kg", "食品/米", "越後の里", 3980, true, 30},
	{"DRK-JUI-6", "愛媛みかんジュース 6本", "食品/飲料", "南予ファーム", 2376, true, 0},
	{"DRK-SAK-720", "純米吟醸酒 720ml", "酒類/日本酒", "蔵元 結", 2200, false, 0},
	{"DRK-UME-500", "紀州梅酒 500ml", "酒類/リキュール", "蔵元 結", 1650, false, 0},
	{"KIT-YUN-1", "有田焼 湯呑み", "キッチン/食器", "有田窯", 3300, false, 0},
	{"KIT-KYU-1", "常滑焼 急須 300ml", "キッチン/茶器", "常滑窯", 5500, false, 0},
	{"KIT-CHO-2", "輪島塗 箸 2膳", "キッチン/食器", "輪島工房", 4400, false, 0},
	{"KIT-TEN-1", "今治 ふきん 3枚組", "キッチン/布巾", "今治タオル工房", 1320, false, 0},
	{"SKN-LOT-150", "米ぬか化粧水 150ml", "化粧品/スキンケア", "はだ絆", 2970, false, 60},
	{"SKN-MIL-120", "米ぬか乳液 120ml", "化粧品/スキンケア", "はだ絆", 3190, false, 60},
	{"SKN-CLE-100", "泡洗顔フォーム 100g", "化粧品/スキンケア", "はだ絆", 1540, false, 45},
	{"SKN-SUN-50", "日焼け止めミルク SPF50 50ml", "化粧品/スキンケア", "はだ絆", 1980, false, 90},
	{"SKN-HAN-50", "ハンドクリーム 柚子 50g", "化粧品/ボディケア", "はだ絆", 1100, false, 45},
	{"HOU-DET-1", "洗濯用液体洗剤 詰替 1kg", "日用品/洗剤", "清流", 548, false, 30},
	{"HOU-DSH-500", "食器用洗剤 詰替 500ml", "日用品/洗剤", "清流", 328, false, 30},
	{"HOU-TOW-1", "今治 バスタオル", "日用品/タオル", "今治タオル工房", 3850, false, 0},
	{"HOU-TIS-5", "ボックスティッシュ 5箱", "日用品/紙製品", "清流", 398, false, 21},
	{"APP-TSH-M", "オーガニックコットン Tシャツ M", "衣料/トップス", "KIZUNA STANDARD", 3990, false, 0},
	{"APP-TSH-L", "オーガニックコットン Tシャツ L", "衣料/トップス", "KIZUNA STANDARD", 3990, false, 0},
	{"APP-CAR-M", "リネン カーディガン M", "衣料/トップス", "KIZUNA STANDARD", 7990, false, 0},
	{"APP-PAN-M", "ストレッチ テーパードパンツ M", "衣料/ボトムス", "KIZUNA STANDARD", 5990, false, 0},
	{"APP-SOC-3", "綿混 くつ下 3足組", "衣料/肌着・靴下", "KIZUNA STANDARD", 1490, false, 90},
	{"APP-TEN-1", "手ぬぐい 富士", "衣料/小物", "染工房", 1320, false, 0},
	{"GFT-CHU-A", "お中元 銘茶詰め合わせ", "ギフト/お中元", "茶のこころ", 5400, true, 0},
	{"GFT-CHU-B", "お中元 愛媛ジュースギフト", "ギフト/お中元", "南予ファーム", 4320, true, 0},
	{"GFT-SEI-A", "お歳暮 和菓子詰め合わせ", "ギフト/お歳暮", "菓匠 絆", 5400, true, 0},
	{"GFT-SEI-B", "お歳暮 調味料セット", "ギフト/お歳暮", "海の恵", 4860, true, 0},
	{"GFT-TOW-A", "今治タオル ギフトセット", "ギフト/内祝い", "今治タオル工房", 5500, false, 0},
}

// Products returns the demo catalog; each item has an in-store JAN.
func Products() []commerce.Product {
	out := make([]commerce.Product, len(catalog))
	for i, c := range catalog {
		rate := commerce.TaxStandard
		if c.reduced {
			rate = commerce.TaxReduced
		}
		out[i] = commerce.Product{SKU: c.sku, JAN: commerce.InStoreJAN(1000 + i), Name: c.name, Category: strings.Split(c.category, "/"), Brand: c.brand,
			Price: commerce.Yen(c.price), TaxRate: rate, Consumable: c.repurchase > 0, RepurchaseDays: c.repurchase}
	}
	return out
}

// Stock is the demo's opening stocktake: every product at every store,
// counter and the EC warehouse (not the call center), deterministic, with
// some items out of stock somewhere. The movement IDs make loading it
// again change nothing.
func Stock() []commerce.StockChange {
	var out []commerce.StockChange
	for i, c := range catalog {
		for j, l := range stores {
			if l.Channel == "callcenter" {
				continue
			}
			n := int64((i*37 + j*11 + len(c.sku)*5) % 29)
			if l.Channel == "ec" {
				n *= 12 // the warehouse holds many more
			}
			out = append(out, commerce.StockChange{ID: "demo-stocktake-" + c.sku + "-" + l.Code, SKU: c.sku, Location: l.Code, Set: &n, Reason: "棚卸"})
		}
	}
	return out
}
