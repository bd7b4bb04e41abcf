package cli_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/xuri/excelize/v2"
)

func TestExport(t *testing.T) {
	dir := t.TempDir()
	k := newKZ(t, map[string]string{"KIZUNA_DB": filepath.Join(dir, "k.db")})
	k.ok("demo", "--customers", "50", "--seed", "3", "--migrate", "--resolve=false")
	out := filepath.Join(dir, "list.csv")
	msg := k.ok("export", "--out", out, "--columns", "customer_id,family_name,phone,postal_code")
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	mustContain(t, "export", msg, out, fmt.Sprintf("SHA-256 %x", sum))
	if !bytes.HasPrefix(b, []byte("\ufeff顧客ID,姓,電話番号,郵便番号\r\n")) {
		t.Errorf("CSV starts %q", b[:min(60, len(b))])
	}
	xl := filepath.Join(dir, "list.xlsx")
	k.ok("export", "--out", xl)
	f, err := excelize.OpenFile(xl)
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows("Sheet1")
	if len(rows) < 2 || rows[0][0] != "顧客ID" {
		t.Errorf("workbook rows %q", rows[:min(2, len(rows))])
	}
	k.fails(2, []string{"give --out FILE"}, "export")
	k.fails(2, []string{`unknown column "shoe"`}, "export", "--out", out, "--columns", "shoe")
	k.fails(2, []string{`unknown export format "pdf"`}, "export", "--out", out, "--format", "pdf")
	k.ok("audit", "verify") // the export entries keep the chain whole
}
