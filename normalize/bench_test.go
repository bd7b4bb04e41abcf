package normalize

import "testing"

// Throughput of each normalizer on typical values (issue 5 asks for it per
// field): go test ./normalize -run XXX -bench . -benchmem
func BenchmarkNormalizers(b *testing.B) {
	for _, bc := range []struct {
		name string
		in   []string
		fn   func(string)
	}{
		{"NameKey", []string{"髙橋 美咲 様", "渡邊　澄子", "Misaki Takahashi"}, func(s string) { NameKey(s) }},
		{"ReadingKey", []string{"ｷｮｳｺ", "たかはし みさき", "サトー"}, func(s string) { ReadingKey(s) }},
		{"Address", []string{"東京都渋谷区道玄坂一丁目2番3号 渋谷マークシティ5F", "大阪府大阪市北区梅田2-4-9"}, func(s string) { Address(s) }},
		{"Date", []string{"昭和45年3月1日", "1990/1/2", "H2.1.8"}, func(s string) { Date(s) }},
		{"Email", []string{"Hanako.Sato+shop@gmial.com", "taro@docomo.ne.jp"}, func(s string) { EmailMatchKey(s) }},
		{"Phone", []string{"090-1234-5678", "03(1234)5678", "+81 90 1234 5678"}, func(s string) { Phone(s) }},
		{"PostalCode", []string{"〒150-0043", "１５００００１"}, func(s string) { PostalCode(s) }},
		{"RomajiKey", []string{"Takahashi Misaki", "SATOH"}, func(s string) { RomajiKey(s) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				bc.fn(bc.in[i%len(bc.in)])
			}
		})
	}
}
