package i18n

import (
	"regexp"
	"strings"
)

// Reasons are the messages Kizuna's validation gives (in English, as the
// API and logs carry them) for a rejected row or record: "not a valid
// email address: more than one @". A reject file is opened by a
// retailer's staff in Excel, so it carries each reason in Japanese too.
// The table below covers every message a customer or product import can
// give (TestReasonsCovered checks this against the normalizers); a
// message it does not know stays in English rather than be guessed at.

type reasonRule struct {
	re *regexp.Regexp
	ja string // ${1}, ${2} … are the pattern's groups
}

// head is "not a valid X: detail", whose detail is translated in turn.
var reasonHeads = []reasonRule{
	{regexp.MustCompile(`^not a valid email address: (.+)$`), "メールアドレスの形式が正しくありません（${1}）"},
	{regexp.MustCompile(`^not a valid phone number: (.+)$`), "電話番号の形式が正しくありません（${1}）"},
	{regexp.MustCompile(`^not a valid date: (.+)$`), "日付が正しくありません（${1}）"},
}

var reasonRules = []reasonRule{
	// email details
	{regexp.MustCompile(`^empty$`), "空です"},
	{regexp.MustCompile(`^contains spaces or control characters$`), "空白または制御文字が含まれています"},
	{regexp.MustCompile(`^missing @$`), "@がありません"},
	{regexp.MustCompile(`^more than one @$`), "@が複数あります"},
	{regexp.MustCompile(`^empty local part$`), "@の前が空です"},
	{regexp.MustCompile(`^empty domain$`), "@の後ろ（ドメイン）が空です"},
	{regexp.MustCompile(`^domain has no dot$`), "ドメインに「.」がありません"},
	{regexp.MustCompile(`^empty label in domain$`), "ドメインの「.」が連続しているか、先頭か末尾にあります"},
	// phone details
	{regexp.MustCompile(`^unexpected character (.+)$`), "使えない文字「${1}」があります"},
	{regexp.MustCompile(`^unknown country code$`), "国番号が不明です"},
	{regexp.MustCompile(`^too long$`), "桁数が多すぎます"},
	{regexp.MustCompile(`^too short$`), "桁数が足りません"},
	{regexp.MustCompile(`^missing area code$`), "市外局番がありません"},
	{regexp.MustCompile(`^wrong number of digits$`), "桁数が正しくありません"},
	{regexp.MustCompile(`^not a number in use in its country$`), "その国の電話番号として正しくありません"},
	// date details
	{regexp.MustCompile(`^era year must be 1 \(元年\) or later$`), "元号の年は1（元年）以上です"},
	{regexp.MustCompile(`^(\S+) began on (\d{4})-0?(\d+)-0?(\d+)$`), "${1}は${2}年${3}月${4}日からです"},
	{regexp.MustCompile(`^want a form like 1990-01-02 or 平成2年1月2日$`), "1990-01-02や平成2年1月2日のように書いてください"},
	{regexp.MustCompile(`^year out of range (\d+)-(\d+)$`), "年は${1}〜${2}の範囲で書いてください"},
	{regexp.MustCompile(`^no such calendar date$`), "存在しない日付です"},

	{regexp.MustCompile(`^not a valid postal code: want 7 digits$`), "郵便番号の形式が正しくありません（7桁の数字で書いてください）"},
	{regexp.MustCompile(`^not a valid gender: unrecognized value$`), "性別として認識できない値です"},
	{regexp.MustCompile(`^is longer than (\d+) characters \((\d+)\)$`), "${1}文字を超えています（${2}文字）"},
	{regexp.MustCompile(`^is longer than (\d+) characters$`), "${1}文字を超えています"},
	{regexp.MustCompile(`^is longer than (\d+) bytes \((\d+)\)$`), "${1}バイトを超えています（${2}バイト）"},
	{regexp.MustCompile(`^is longer than (\d+) bytes$`), "${1}バイトを超えています"},
	{regexp.MustCompile(`^holds (\d+) values; at most (\d+)$`), "値が${1}個あります（${2}個まで）"},
	{regexp.MustCompile(`^attribute "(.*)" is not declared in the attribute schema$`), "属性「${1}」は定義されていません"},
	{regexp.MustCompile(`^must be a string$`), "文字列で書いてください"},
	{regexp.MustCompile(`^must be a integer$`), "整数で書いてください"},
	{regexp.MustCompile(`^must be a number$`), "数値で書いてください"},
	{regexp.MustCompile(`^must be a boolean$`), "true か false で書いてください"},
	{regexp.MustCompile(`^must be a date$`), "日付で書いてください"},
	{regexp.MustCompile(`^is required$`), "必須です"},

	// reading the file
	{regexp.MustCompile(`^(\d+) fields, the header has (\d+)$`), "項目が${1}個あります（見出しは${2}個）"},
	{regexp.MustCompile(`^(\d+) cells, the header has (\d+)$`), "セルが${1}個あります（見出しは${2}個）"},
	{regexp.MustCompile(`^no mapped column has a value$`), "取り込む列のどれにも値がありません"},
	{regexp.MustCompile(`^cannot read the file past here: (.+)$`), "ファイルのここから先を読めません（${1}）"},
	{regexp.MustCompile(`^a quote opened in this row is never closed; the lines after it are read as rows of their own$`),
		"この行で始まる引用符（\"）が閉じていません。後の行はそれぞれ別の行として読みました"},
	{regexp.MustCompile(`^a quoted value opened here runs over (\d+) lines and takes in what look like rows of their own; the lines after this one are read as rows$`),
		"ここで始まる引用符付きの値が${1}行にわたり、別の行らしいものを含んでいます。後の行はそれぞれ別の行として読みました"},
	{regexp.MustCompile(`^the ID "(.*)" is on line (\d+) of this file already; a file gives each ID once, so this row was not imported$`),
		"ID「${1}」はこのファイルの${2}行目にもあります。同じIDは1つのファイルに1回しか書けないため、この行は取り込んでいません"},
	{regexp.MustCompile(`^this source record was erased on a deletion request$`), "このレコードは削除依頼により消去済みです"},

	// products
	{regexp.MustCompile(`^price "(.*)" is not a whole amount \(yen\)$`), "価格「${1}」は円単位の整数で書いてください"},
	{regexp.MustCompile(`^tax rate "(.*)": write 10, 8 \(or 軽減\) or 0$`), "税率「${1}」：10、8（または軽減）、0のいずれかを書いてください"},
	{regexp.MustCompile(`^consumable "(.*)": write 1/0, true/false or はい/いいえ$`), "消耗品「${1}」：1/0、true/false、はい/いいえのいずれかを書いてください"},
	{regexp.MustCompile(`^repurchase_days "(.*)" is not a number of days$`), "購入周期「${1}」は日数で書いてください"},
	{regexp.MustCompile(`^"(.*)" holds a space, a slash or a control character$`), "「${1}」に空白、スラッシュ、制御文字のいずれかが含まれています"},
	{regexp.MustCompile(`^is negative$`), "マイナスの値です"},
	{regexp.MustCompile(`^"(.*)" is product (.+)'s JAN: a JAN names one product \(clear it there first\)$`), "「${1}」は商品${2}のJANコードです。JANコードは1つの商品にだけ付けられます（先にそちらから外してください）"},
	{regexp.MustCompile(`^"(.*)" is also on line (\d+) of this file: a JAN names one product$`), "「${1}」はこのファイルの${2}行目にもあります。JANコードは1つの商品にだけ付けられます"},
	{regexp.MustCompile(`^"(.*)" is also on line (\d+) of this file$`), "「${1}」はこのファイルの${2}行目にもあります"},
	{regexp.MustCompile(`^"(.*)" is not an ISO 4217 code such as JPY$`), "「${1}」はJPYのような通貨コード（ISO 4217）ではありません"},
	{regexp.MustCompile(`^has (\d+) levels, at most (\d+)$`), "階層が${1}段あります（${2}段まで）"},
	{regexp.MustCompile(`^must be between 0 and (\d+)$`), "0〜${1}の範囲で書いてください"},
	{regexp.MustCompile(`^is for consumables: set consumable too$`), "消耗品にだけ指定できます。「消耗品」も指定してください"},
	{regexp.MustCompile(`^has (\d+) entries, at most (\d+)$`), "${1}件あります（${2}件まで）"},
	{regexp.MustCompile(`^level (\d+) is empty$`), "${1}段目が空です"},
	{regexp.MustCompile(`^"(.*)" has (\d+) characters: a JAN code has 13 digits \(or 8 for a short JAN-8\)$`), "「${1}」は${2}文字です。JANコードは13桁（短縮JAN-8は8桁）です"},
	{regexp.MustCompile(`^"(.*)" holds (\S+) at position (\d+): a JAN code is digits only$`), "「${1}」の${3}文字目が${2}です。JANコードは数字だけです"},
	{regexp.MustCompile(`^"(.*)" has check digit (.), but its first (\d+) digits give (.): a digit is probably mistyped$`),
		"「${1}」のチェックデジットは${2}ですが、先頭${3}桁からは${4}になります。どこかの数字が打ち間違いと思われます"},
}

// Reason is a validation message in Japanese, or the message itself when
// the table does not know it. A "not a valid X: detail" message is
// translated head and detail apart; a message of several problems is not
// one the table knows (the importer translates each problem itself).
func Reason(en string) string {
	if ja, ok := reason(en); ok {
		return ja
	}
	return en
}

func reason(en string) (string, bool) {
	for _, r := range reasonHeads {
		if m := r.re.FindStringSubmatch(en); m != nil {
			detail, ok := reason(m[1])
			if !ok {
				detail = m[1]
			}
			return strings.ReplaceAll(r.ja, "${1}", detail), true
		}
	}
	for _, r := range reasonRules {
		if m := r.re.FindStringSubmatchIndex(en); m != nil {
			return string(r.re.ExpandString(nil, r.ja, en, m)), true
		}
	}
	return "", false
}
