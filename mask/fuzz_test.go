package mask

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// The obvious property, "the output does not contain the masked part of
// the input", is false: masking "0000000000" keeps "0000", which contains
// every masked substring of at most four zeros, and a domain kept by Email
// may well repeat letters of the local part. What is true is structural:
// the output consists of the characters a function promises to keep and
// masks, and nothing derived from the rest of the input. The fuzz targets
// below assert exactly that.

var phoneSeeds = []string{
	"+819012345678", "+81312345678", "+81126712345", "+81120123456",
	"09012345678", "０９０－１２３４－５６７８", "+81 90 1234 5678 ext 12",
	"+14155552671", "+33612345678", "+6834002", "+8190ABCD5678",
	"", "12345", "abc", "call 03 1234 5678 after 6pm", "0000000000",
	"tel:+81-3-1234-5678;ext=99", "\xff+81312345678", "000000000２",
}

// FuzzPhone checks that a masked phone number shows at most a leading code
// (a country code of up to three digits or a Japanese prefix/area code of up
// to five), then masks, then at most four final digits: no digit from the
// middle of the number survives. When the input is plainly a phone number,
// those final digits are the input's own last digits.
func FuzzPhone(f *testing.F) {
	for _, s := range phoneSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := Phone(in)
		if !utf8.ValidString(out) {
			t.Fatalf("Phone(%q) = %q, invalid UTF-8", in, out)
		}
		star := strings.IndexByte(out, '*')
		if star < 0 {
			if countDigits(in) > 0 || countDigits(out) > 0 {
				t.Fatalf("Phone(%q) = %q, nothing masked", in, out)
			}
			return
		}
		lead, rest := countDigits(out[:star]), out[star:]
		if lead > 5 {
			t.Fatalf("Phone(%q) = %q, %d leading digits shown", in, out, lead)
		}
		shown := digitsOf(rest)
		if n := utf8.RuneCountInString(shown); n > 4 {
			t.Fatalf("Phone(%q) = %q, %d digits shown after the first mask", in, out, n)
		}
		if plain := strings.Trim(in, "0123456789+-() ") == ""; plain && !strings.HasSuffix(digitsOf(in), shown) {
			t.Fatalf("Phone(%q) = %q, shows %q, which are not the last digits", in, out, shown)
		}
	})
}

// FuzzEmail checks that the output is the first character of the local
// part, "***" and the domain, and that the length of the local part is not
// shown.
func FuzzEmail(f *testing.F) {
	for _, s := range []string{
		"taro@example.jp", "t@example.jp", "はなこ@例え.jp", `"a@b"@example.jp`,
		"@example.jp", "taro@", "taro", "", "\xfftaro@example.jp", "a@a@a",
		"aexample@example",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := Email(in)
		if !utf8.ValidString(out) {
			t.Fatalf("Email(%q) = %q, invalid UTF-8", in, out)
		}
		valid := strings.ToValidUTF8(in, "\uFFFD")
		at := strings.LastIndexByte(valid, '@')
		if at < 0 {
			if out != "***" {
				t.Fatalf("Email(%q) = %q, want ***", in, out)
			}
			return
		}
		local, domain := valid[:at], valid[at+1:]
		first, ok := strings.CutSuffix(out, "***@"+domain)
		if !ok {
			t.Fatalf("Email(%q) = %q, want ...***@%s", in, out, domain)
		}
		if utf8.RuneCountInString(first) > 1 || !strings.HasPrefix(local, first) || (first == "" && local != "") {
			t.Fatalf("Email(%q) = %q, local part shown as %q", in, out, first)
		}
	})
}

// FuzzName checks that each space-separated part of the output is the
// first character of the input part (with its combining marks) followed
// only by masks, one for each further character. So apart from that first
// character, no character of a name survives.
func FuzzName(f *testing.F) {
	for _, s := range []string{
		"山田 花子", "ヤマダ ハナコ", "ﾔﾏﾀﾞ ﾊﾅｺ", "Taro Yamada", "山田\u3000花子",
		"カ\u3099ス", "\u3099\u3099カ", "葛\U000E0100飾 太郎", " 山田  花子 ", "",
		"\xff\xfeab", "＊* ＊*", "👨‍👩‍👧 家族",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := Name(in)
		if !utf8.ValidString(out) {
			t.Fatalf("Name(%q) = %q, invalid UTF-8", in, out)
		}
		inParts, outParts := strings.Fields(in), strings.Fields(out)
		if len(inParts) != len(outParts) {
			t.Fatalf("Name(%q) = %q, %d parts, want %d", in, out, len(outParts), len(inParts))
		}
		for i, part := range inParts {
			runes := []rune(part) // invalid bytes decode to U+FFFD, as Name writes them
			keep := 1
			for keep < len(runes) && isMark(runes[keep]) {
				keep++
			}
			masks := 0
			for _, r := range runes[keep:] {
				if !isMark(r) {
					masks++
				}
			}
			want := string(runes[:keep])
			got, ok := strings.CutPrefix(outParts[i], want)
			if !ok || utf8.RuneCountInString(got) != masks || strings.Trim(got, "*＊") != "" {
				t.Fatalf("Name(%q) = %q, part %q shown as %q, want %q and %d masks", in, out, part, outParts[i], want, masks)
			}
		}
	})
}

func countDigits(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsDigit(r) {
			n++
		}
	}
	return n
}

func digitsOf(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsDigit(r) {
			return r
		}
		return -1
	}, s)
}
