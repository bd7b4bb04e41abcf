package demo

import (
	"strings"
)

// familyNames are common Japanese family names with their readings and a
// weight: roughly the number of bearers in thousands, after the public
// surname rankings. Drawing only from the head of the distribution keeps
// the data looking real (many 佐藤 and 鈴木) and makes same-name different
// people common, as they are.
var familyNames = []struct {
	kanji, kana string
	w           int
}{
	{"佐藤", "サトウ", 1870}, {"鈴木", "スズキ", 1790}, {"高橋", "タカハシ", 1410}, {"田中", "タナカ", 1330},
	{"伊藤", "イトウ", 1070}, {"渡辺", "ワタナベ", 1060}, {"山本", "ヤマモト", 1070}, {"中村", "ナカムラ", 1050},
	{"小林", "コバヤシ", 1020}, {"加藤", "カトウ", 890}, {"吉田", "ヨシダ", 840}, {"山田", "ヤマダ", 810},
	{"佐々木", "ササキ", 680}, {"山口", "ヤマグチ", 640}, {"松本", "マツモト", 630}, {"井上", "イノウエ", 610},
	{"木村", "キムラ", 570}, {"林", "ハヤシ", 540}, {"斎藤", "サイトウ", 530}, {"清水", "シミズ", 530},
	{"山崎", "ヤマザキ", 480}, {"森", "モリ", 470}, {"池田", "イケダ", 440}, {"橋本", "ハシモト", 440},
	{"阿部", "アベ", 440}, {"石川", "イシカワ", 430}, {"山下", "ヤマシタ", 420}, {"中島", "ナカジマ", 410},
	{"石井", "イシイ", 400}, {"小川", "オガワ", 400}, {"前田", "マエダ", 390}, {"岡田", "オカダ", 390},
	{"長谷川", "ハセガワ", 390}, {"藤田", "フジタ", 380}, {"後藤", "ゴトウ", 370}, {"近藤", "コンドウ", 370},
	{"村上", "ムラカミ", 370}, {"遠藤", "エンドウ", 350}, {"青木", "アオキ", 350}, {"坂本", "サカモト", 350},
	{"斉藤", "サイトウ", 340}, {"福田", "フクダ", 340}, {"太田", "オオタ", 330}, {"西村", "ニシムラ", 330},
	{"藤井", "フジイ", 330}, {"金子", "カネコ", 320}, {"岡本", "オカモト", 320}, {"藤原", "フジワラ", 320},
	{"中野", "ナカノ", 310}, {"三浦", "ミウラ", 310}, {"原田", "ハラダ", 310}, {"中川", "ナカガワ", 310},
	{"松田", "マツダ", 300}, {"竹内", "タケウチ", 300}, {"小野", "オノ", 300}, {"田村", "タムラ", 300},
	{"中山", "ナカヤマ", 290}, {"和田", "ワダ", 290}, {"石田", "イシダ", 290}, {"森田", "モリタ", 280},
	{"上田", "ウエダ", 280}, {"原", "ハラ", 280}, {"内田", "ウチダ", 280}, {"柴田", "シバタ", 270},
	{"酒井", "サカイ", 270}, {"宮崎", "ミヤザキ", 270}, {"横山", "ヨコヤマ", 270}, {"高木", "タカギ", 270},
	{"安藤", "アンドウ", 260}, {"宮本", "ミヤモト", 260}, {"大野", "オオノ", 260}, {"小島", "コジマ", 260},
	{"谷口", "タニグチ", 250}, {"今井", "イマイ", 250}, {"工藤", "クドウ", 250}, {"高田", "タカダ", 250},
	{"増田", "マスダ", 250}, {"丸山", "マルヤマ", 250}, {"杉山", "スギヤマ", 250}, {"村田", "ムラタ", 240},
	{"大塚", "オオツカ", 240}, {"新井", "アライ", 240}, {"小山", "コヤマ", 240}, {"平野", "ヒラノ", 240},
	{"藤本", "フジモト", 240}, {"河野", "コウノ", 240}, {"上野", "ウエノ", 230}, {"野口", "ノグチ", 230},
	{"武田", "タケダ", 230}, {"松井", "マツイ", 230}, {"千葉", "チバ", 230}, {"岩崎", "イワサキ", 230},
	{"菅原", "スガワラ", 220}, {"木下", "キノシタ", 220}, {"久保", "クボ", 220}, {"佐野", "サノ", 220},
	{"野村", "ノムラ", 220}, {"松尾", "マツオ", 220}, {"菊地", "キクチ", 220}, {"杉本", "スギモト", 220},
	{"市川", "イチカワ", 210}, {"古川", "フルカワ", 210}, {"大西", "オオニシ", 210}, {"島田", "シマダ", 210},
	{"水野", "ミズノ", 210}, {"桜井", "サクライ", 210}, {"高野", "タカノ", 210}, {"渡部", "ワタナベ", 210},
	{"吉川", "ヨシカワ", 200}, {"山内", "ヤマウチ", 200}, {"西田", "ニシダ", 200}, {"飯田", "イイダ", 200},
	{"菊池", "キクチ", 200}, {"西川", "ニシカワ", 200}, {"小松", "コマツ", 200}, {"北村", "キタムラ", 200},
	{"安田", "ヤスダ", 190}, {"五十嵐", "イガラシ", 190}, {"川口", "カワグチ", 190}, {"平田", "ヒラタ", 190},
	{"関", "セキ", 190}, {"中田", "ナカタ", 190}, {"久保田", "クボタ", 190}, {"東", "ヒガシ", 190},
	{"服部", "ハットリ", 190}, {"川崎", "カワサキ", 190}, {"岩田", "イワタ", 190}, {"土屋", "ツチヤ", 180},
	{"福島", "フクシマ", 180}, {"本田", "ホンダ", 180}, {"辻", "ツジ", 180}, {"樋口", "ヒグチ", 180},
	{"秋山", "アキヤマ", 180}, {"田口", "タグチ", 180}, {"永井", "ナガイ", 180}, {"山中", "ヤマナカ", 180},
	{"中西", "ナカニシ", 180}, {"吉村", "ヨシムラ", 180}, {"川上", "カワカミ", 170}, {"石原", "イシハラ", 170},
	{"大橋", "オオハシ", 170}, {"松岡", "マツオカ", 170}, {"馬場", "ババ", 170}, {"浅野", "アサノ", 170},
	{"荒木", "アラキ", 170}, {"大久保", "オオクボ", 170}, {"野田", "ノダ", 170}, {"小池", "コイケ", 170},
	{"松下", "マツシタ", 170}, {"熊谷", "クマガイ", 170}, {"菅野", "カンノ", 170}, {"星野", "ホシノ", 160},
	{"黒田", "クロダ", 160}, {"堀", "ホリ", 160}, {"尾崎", "オザキ", 160}, {"望月", "モチヅキ", 160},
	{"永田", "ナガタ", 160}, {"浜田", "ハマダ", 160}, {"田辺", "タナベ", 150}, {"松浦", "マツウラ", 150},
	{"内藤", "ナイトウ", 150}, {"宮田", "ミヤタ", 150}, {"岩本", "イワモト", 150}, {"松村", "マツムラ", 150},
	{"大谷", "オオタニ", 140}, {"平井", "ヒライ", 140}, {"高山", "タカヤマ", 140}, {"広瀬", "ヒロセ", 130},
	{"沢田", "サワダ", 130}, {"桑原", "クワハラ", 130}, {"小西", "コニシ", 130}, {"片山", "カタヤマ", 130},
	{"杉浦", "スギウラ", 130}, {"関口", "セキグチ", 130}, {"岡崎", "オカザキ", 130}, {"宮下", "ミヤシタ", 120},
	{"新田", "ニッタ", 110}, {"本間", "ホンマ", 110}, {"難波", "ナンバ", 60}, {"長田", "オサダ", 90},
}

// Generations of given names, by birth year.
const (
	gen1945 = iota // 1945–1959
	gen1960        // 1960–1974
	gen1975        // 1975–1989
	gen1990        // 1990–2006
	generations
)

var genFirstYear = [generations + 1]int{1945, 1960, 1975, 1990, 2007}

// givenNames lists popular given names of each generation and gender, most
// popular first; "kanji" is how the name is written (さくら is hiragana).
// Readings are katakana.
var givenNames = [generations][2][]struct{ kanji, kana string }{
	gen1945: {
		{ // female
			{"恵子", "ケイコ"}, {"洋子", "ヨウコ"}, {"幸子", "サチコ"}, {"和子", "カズコ"}, {"久美子", "クミコ"},
			{"節子", "セツコ"}, {"京子", "キョウコ"}, {"弘子", "ヒロコ"}, {"美智子", "ミチコ"}, {"由美子", "ユミコ"},
			{"順子", "ジュンコ"}, {"悦子", "エツコ"}, {"敏子", "トシコ"}, {"典子", "ノリコ"}, {"裕子", "ユウコ"},
			{"清美", "キヨミ"}, {"昭子", "アキコ"}, {"信子", "ノブコ"},
		},
		{ // male
			{"清", "キヨシ"}, {"博", "ヒロシ"}, {"茂", "シゲル"}, {"勝", "マサル"}, {"進", "ススム"},
			{"隆", "タカシ"}, {"実", "ミノル"}, {"正", "タダシ"}, {"修", "オサム"}, {"和夫", "カズオ"},
			{"秀夫", "ヒデオ"}, {"幸雄", "ユキオ"}, {"正男", "マサオ"}, {"武", "タケシ"}, {"昭", "アキラ"},
			{"豊", "ユタカ"}, {"勇", "イサム"}, {"健二", "ケンジ"},
		},
	},
	gen1960: {
		{
			{"真由美", "マユミ"}, {"智子", "トモコ"}, {"陽子", "ヨウコ"}, {"直美", "ナオミ"}, {"明美", "アケミ"},
			{"由美", "ユミ"}, {"久美子", "クミコ"}, {"美穂", "ミホ"}, {"恵美", "エミ"}, {"浩子", "ヒロコ"},
			{"香織", "カオリ"}, {"純子", "ジュンコ"}, {"理恵", "リエ"}, {"直子", "ナオコ"}, {"雅美", "マサミ"},
			{"美香", "ミカ"}, {"千秋", "チアキ"}, {"恵子", "ケイコ"},
		},
		{
			{"誠", "マコト"}, {"浩", "ヒロシ"}, {"健一", "ケンイチ"}, {"直樹", "ナオキ"}, {"剛", "ツヨシ"},
			{"聡", "サトシ"}, {"哲也", "テツヤ"}, {"和也", "カズヤ"}, {"秀樹", "ヒデキ"}, {"浩二", "コウジ"},
			{"博之", "ヒロユキ"}, {"隆", "タカシ"}, {"学", "マナブ"}, {"伸一", "シンイチ"}, {"達也", "タツヤ"},
			{"徹", "トオル"}, {"淳", "ジュン"}, {"英樹", "ヒデキ"},
		},
	},
	gen1975: {
		{
			{"愛", "アイ"}, {"彩", "アヤ"}, {"舞", "マイ"}, {"麻衣", "マイ"}, {"沙織", "サオリ"},
			{"恵", "メグミ"}, {"瞳", "ヒトミ"}, {"智美", "トモミ"}, {"真理子", "マリコ"}, {"由佳", "ユカ"},
			{"裕美", "ユミ"}, {"優子", "ユウコ"}, {"明日香", "アスカ"}, {"彩香", "アヤカ"}, {"麻美", "アサミ"},
			{"千尋", "チヒロ"}, {"絵美", "エミ"}, {"美穂", "ミホ"}, {"友美", "トモミ"},
		},
		{
			{"大輔", "ダイスケ"}, {"拓也", "タクヤ"}, {"健太", "ケンタ"}, {"達也", "タツヤ"}, {"直人", "ナオト"},
			{"亮", "リョウ"}, {"誠", "マコト"}, {"雄一", "ユウイチ"}, {"大介", "ダイスケ"}, {"健", "ケン"},
			{"智也", "トモヤ"}, {"和樹", "カズキ"}, {"裕太", "ユウタ"}, {"翔", "ショウ"}, {"慎也", "シンヤ"},
			{"剛", "ツヨシ"}, {"洋平", "ヨウヘイ"}, {"隆之", "タカユキ"}, {"純一", "ジュンイチ"},
		},
	},
	gen1990: {
		{
			{"美咲", "ミサキ"}, {"陽菜", "ヒナ"}, {"結衣", "ユイ"}, {"さくら", "サクラ"}, {"葵", "アオイ"},
			{"七海", "ナナミ"}, {"美羽", "ミウ"}, {"彩花", "アヤカ"}, {"菜々子", "ナナコ"}, {"萌", "モエ"},
			{"遥", "ハルカ"}, {"凛", "リン"}, {"愛美", "マナミ"}, {"優奈", "ユウナ"}, {"結菜", "ユイナ"},
			{"芽衣", "メイ"}, {"沙希", "サキ"}, {"ひなた", "ヒナタ"}, {"真央", "マオ"}, {"杏", "アン"},
		},
		{
			{"翔太", "ショウタ"}, {"蓮", "レン"}, {"大翔", "ヒロト"}, {"悠斗", "ユウト"}, {"陽翔", "ハルト"},
			{"颯太", "ソウタ"}, {"拓海", "タクミ"}, {"湊", "ミナト"}, {"大和", "ヤマト"}, {"陸", "リク"},
			{"悠真", "ユウマ"}, {"駿", "シュン"}, {"健太", "ケンタ"}, {"翼", "ツバサ"}, {"優斗", "ユウト"},
			{"海斗", "カイト"}, {"樹", "イツキ"}, {"大輝", "ダイキ"}, {"蒼", "アオイ"}, {"隼人", "ハヤト"},
		},
	},
}

// nameEntry is a name with every spelling the generator needs, computed once.
type nameEntry struct {
	kanji   string
	old     string // old/variant-kanji form (髙橋), "" if none
	oldRate int    // per mille of bearers whose registered name is the old form
	kana    string // katakana
	hira    string
	half    string               // half-width katakana
	romaji  [romajiStyles]string // lowercase
	title   [romajiStyles]string // Capitalized
	upper   [romajiStyles]string // UPPER
}

func newNameEntry(kanji, kana string) nameEntry {
	e := nameEntry{kanji: kanji, kana: kana, hira: toHiragana(kana), half: toHalfKana(kana)}
	e.old, e.oldRate = oldForm(kanji)
	for s := range romajiStyles {
		r := romaji(kana, s)
		e.romaji[s] = r
		e.title[s] = capitalize(r)
		e.upper[s] = strings.ToUpper(r)
	}
	return e
}

// oldForms maps a common (new) kanji to the old or variant forms that the
// family registers keep, with the per-mille share of bearers whose
// registered name uses the old form.
var oldForms = map[rune]struct {
	forms []string
	rate  int
}{
	'高': {[]string{"髙"}, 150},
	'斎': {[]string{"齋", "齊"}, 250},
	'斉': {[]string{"齊"}, 150},
	'辺': {[]string{"邊", "邉"}, 200},
	'崎': {[]string{"﨑"}, 100},
	'浜': {[]string{"濱"}, 150},
	'沢': {[]string{"澤"}, 150},
	'島': {[]string{"嶋"}, 100},
	'桜': {[]string{"櫻"}, 50},
	'広': {[]string{"廣"}, 80},
	'吉': {[]string{"𠮷"}, 30}, // つちよし, outside the BMP
}

// oldForm returns the old-kanji spelling of a name ("" if it has none). For
// characters with two old forms (邊/邉) it takes the first; variant2 picks
// the other.
func oldForm(kanji string) (string, int) {
	var b strings.Builder
	rate, changed := 0, false
	for _, r := range kanji {
		if f, ok := oldForms[r]; ok {
			b.WriteString(f.forms[0])
			rate = max(rate, f.rate)
			changed = true
			continue
		}
		b.WriteRune(r)
	}
	if !changed {
		return "", 0
	}
	return b.String(), rate
}

// variant2 is the second old form of a name (渡邉 for 渡辺), or "".
func variant2(kanji string) string {
	var b strings.Builder
	changed := false
	for _, r := range kanji {
		if f, ok := oldForms[r]; ok && len(f.forms) > 1 {
			b.WriteString(f.forms[1])
			changed = true
			continue
		}
		b.WriteRune(r)
	}
	if !changed {
		return ""
	}
	return b.String()
}

// nameTables are the name tables derived from familyNames and givenNames;
// see lookupTables.
type nameTables struct {
	families   []nameEntry
	familyCum  []int // cumulative weights
	familyOld2 []string
	givens     [generations][2][]nameEntry
	givenCum   [generations][2][]int
}

func buildNameTables() nameTables {
	var t nameTables
	t.families = make([]nameEntry, len(familyNames))
	t.familyCum = make([]int, len(familyNames))
	t.familyOld2 = make([]string, len(familyNames))
	total := 0
	for i, f := range familyNames {
		t.families[i] = newNameEntry(f.kanji, f.kana)
		t.familyOld2[i] = variant2(f.kanji)
		total += f.w
		t.familyCum[i] = total
	}
	for g := range generations {
		for sex := range 2 {
			list := givenNames[g][sex]
			t.givens[g][sex] = make([]nameEntry, len(list))
			t.givenCum[g][sex] = make([]int, len(list))
			total := 0
			for i, n := range list {
				t.givens[g][sex][i] = newNameEntry(n.kanji, n.kana)
				// Zipf-like popularity inside a generation: the first names
				// are several times as common as the last.
				total += 60 / (i + 3)
				t.givenCum[g][sex][i] = total
			}
		}
	}
	return t
}
