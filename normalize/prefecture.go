package normalize

import "strings"

// prefectures holds the official name and Hepburn romanization of each
// prefecture, in the JIS X 0401 order so the table is easy to check.
var prefectures = []struct{ name, romaji string }{
	{"北海道", "hokkaido"}, {"青森県", "aomori"}, {"岩手県", "iwate"},
	{"宮城県", "miyagi"}, {"秋田県", "akita"}, {"山形県", "yamagata"},
	{"福島県", "fukushima"}, {"茨城県", "ibaraki"}, {"栃木県", "tochigi"},
	{"群馬県", "gunma"}, {"埼玉県", "saitama"}, {"千葉県", "chiba"},
	{"東京都", "tokyo"}, {"神奈川県", "kanagawa"}, {"新潟県", "niigata"},
	{"富山県", "toyama"}, {"石川県", "ishikawa"}, {"福井県", "fukui"},
	{"山梨県", "yamanashi"}, {"長野県", "nagano"}, {"岐阜県", "gifu"},
	{"静岡県", "shizuoka"}, {"愛知県", "aichi"}, {"三重県", "mie"},
	{"滋賀県", "shiga"}, {"京都府", "kyoto"}, {"大阪府", "osaka"},
	{"兵庫県", "hyogo"}, {"奈良県", "nara"}, {"和歌山県", "wakayama"},
	{"鳥取県", "tottori"}, {"島根県", "shimane"}, {"岡山県", "okayama"},
	{"広島県", "hiroshima"}, {"山口県", "yamaguchi"}, {"徳島県", "tokushima"},
	{"香川県", "kagawa"}, {"愛媛県", "ehime"}, {"高知県", "kochi"},
	{"福岡県", "fukuoka"}, {"佐賀県", "saga"}, {"長崎県", "nagasaki"},
	{"熊本県", "kumamoto"}, {"大分県", "oita"}, {"宮崎県", "miyazaki"},
	{"鹿児島県", "kagoshima"}, {"沖縄県", "okinawa"},
}

// romajiSuffix is the romanized form of the administrative suffix, so that
// "Tokyo-to" and "Osaka-fu" are recognized. Hokkaido's 道 is already part
// of its romaji name.
var romajiSuffix = map[string]string{"都": "to", "府": "fu", "県": "ken"}

// romajiFold undoes the ways the same long vowel is spelled (Tōkyō, Tôkyô,
// Toukyou, Oosaka) so that one table entry per prefecture suffices. No
// prefecture's plain romaji contains the folded sequences.
var romajiFold = strings.NewReplacer("ō", "o", "ô", "o", "ū", "u", "û", "u", "ou", "o", "oo", "o", "uu", "u")

// Prefecture returns the official name of one of the 47 prefectures
// ("東京" → "東京都", "Tokyo" → "東京都"), or "" if s is not recognizable
// as one.
func Prefecture(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '.' || r == '\'' || isDash(r) {
			return -1
		}
		return r
	}, strings.ToLower(Text(s)))
	if s == "" {
		return ""
	}
	if name, ok := prefectureIndex.kanji[s]; ok {
		return name
	}
	latin := romajiFold.Replace(s)
	latin = strings.TrimSuffix(strings.TrimSuffix(latin, "prefecture"), "pref")
	return prefectureIndex.latin[latin]
}

// prefectureIndex finds a prefecture by each form Prefecture accepts: the
// official name, the name without 都/府/県 and the romaji with or without
// the suffix's romaji (an address parser asks for every prefix of every
// address, so a scan of the table was too slow).
var prefectureIndex = func() (ix struct{ kanji, latin map[string]string }) {
	ix.kanji, ix.latin = map[string]string{}, map[string]string{}
	for _, p := range prefectures {
		ix.kanji[p.name] = p.name
		ix.latin[p.romaji] = p.name
		for kanji, romaji := range romajiSuffix {
			if short, ok := strings.CutSuffix(p.name, kanji); ok {
				ix.kanji[short] = p.name
				ix.latin[p.romaji+romaji] = p.name
			}
		}
	}
	return ix
}()

// SplitPrefecture splits an official prefecture name off the start of an
// address written whole ("東京都渋谷区道玄坂1-2-3" → "東京都",
// "渋谷区道玄坂1-2-3"); pref is "" when s does not start with one. Only
// full names count: 京都市 starts with 京都, which is not 京都府.
func SplitPrefecture(s string) (pref, rest string) {
	s = strings.TrimSpace(Text(s))
	for _, p := range prefectures {
		if r, ok := strings.CutPrefix(s, p.name); ok {
			return p.name, strings.TrimSpace(r)
		}
	}
	return "", s
}
