package cli_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/transform"

	"github.com/xuri/excelize/v2"

	"github.com/kizuna-oss/kizuna/identity"
)

func TestImportCSV(t *testing.T) {
	k, dbPath := migrated(t)
	k.ok("demo", "--customers", "5")
	dir := t.TempDir()
	file := filepath.Join(dir, "members.csv")
	body := "会員番号,氏名,フリガナ,〒,住所１,ＴＥＬ,携帯,メールアドレス,生年月日\n" +
		"M001,山田 花子,ヤマダ ハナコ,150-0043,東京都渋谷区道玄坂1-2-3,03-3461-0000,090-1234-5678,hanako@example.jp,昭和45年3月1日\n" +
		"M002,=cmd|' /C calc'!A0,サトウ イチロウ,160-0022,東京都新宿区新宿3-1,03-1111,,sato@@example.jp,1980/02/28\n" +
		"M003,鈴木 美咲,スズキ ミサキ,,,,,,\n" +
		"M004,too,few\n"
	sjis, _, err := transform.String(japanese.ShiftJIS.NewEncoder(), body)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(file, []byte(sjis), 0o644)

	k.fails(2, []string{"--channel is required"}, "import", file)
	k.fails(1, []string{`no channel "pos"`}, "import", file, "--channel", "pos")
	k.fails(2, []string{"name the file"}, "import")
	k.fails(1, []string{`no column "住所2"`}, "import", file, "--channel", "store", "--map", "住所2=address2")

	before := k.ok("audit", "verify")
	out := k.ok("import", file, "--channel", "store", "--dry-run")
	mustContain(t, "dry run", out, "cp932, 9 columns", "生年月日", "携帯                   → phone", "→ birth_date", `"birth_date":"1970-03-01"`,
		`"phones":["03-3461-0000","090-1234-5678"]`, // both phone columns
		// Every problem of a row, in one reject.
		"rejected: line 3, ＴＥＬ; メールアドレス: ＴＥＬ: not a valid phone number: too short; メールアドレス: not a valid email address: more than one @",
		"rejected: line 5: 3 fields, the header has 9",
		"dry run: 4 rows, 3 would be sent to One ID: 2 new customers, 0 joined to a customer, 0 updated, 0 unchanged, 0 flagged as possible duplicates; 2 rejected; nothing changed")
	if after := k.ok("audit", "verify"); after != before {
		t.Errorf("the dry run wrote to the audit trail: %q then %q", before, after)
	}
	out = k.ok("import", file, "--channel", "store")
	mustContain(t, "import", out, "imported 4 rows", "2 created", "2 rejected", "members.csv.rejects.csv")
	rej := mustRead(t, file+".rejects.csv")
	// A cell Excel would run as a formula gets an apostrophe.
	for _, want := range []string{"\uFEFFline,column,reason,理由,会員番号", `3,ＴＥＬ; メールアドレス,ＴＥＬ: not a valid phone number: too short; メールアドレス: not a valid email address: more than one @,ＴＥＬ：電話番号の形式が正しくありません（桁数が足りません）／メールアドレス：メールアドレスの形式が正しくありません（@が複数あります）,M002,'=cmd|' /C calc'!A0,`, `5,,"3 fields, the header has 9",項目が3個あります（見出しは9個）,M004,too,few`} {
		if !strings.Contains(rej, want) {
			t.Errorf("rejects file lacks %q:\n%s", want, rej)
		}
	}
	// The reject file, fixed and imported, loses the apostrophe again.
	fixed := filepath.Join(dir, "fixed.csv")
	os.WriteFile(fixed, []byte("会員番号,氏名\nM009,'=佐藤\n"), 0o644)
	mustContain(t, "fixed rejects", k.ok("import", fixed, "--channel", "store", "--dry-run"), `"family_name":"=佐藤"`)
	// A dry run of the same file now predicts nothing new.
	mustContain(t, "dry run after import", k.ok("import", file, "--channel", "store", "--dry-run"), "0 new customers, 0 joined to a customer, 0 updated, 2 unchanged")
	// The same file again changes nothing.
	mustContain(t, "re-import", k.ok("import", file, "--channel", "store"), "0 created, 0 joined, 0 updated, 2 unchanged, 2 rejected")
	// A checkpoint left by another file of this name and size (edited in
	// place) is not resumed from: the content decides.
	os.WriteFile(file+".kizuna-checkpoint", []byte(`{"file":"members.csv","size":`+fmt.Sprint(len(sjis))+`,"sha256":"0000","channel":"store","database":"`+dbPath+`","line":3,"at":"2026-11-24T00:00:00Z"}`), 0o644)
	mustContain(t, "stale checkpoint", k.ok("import", file, "--channel", "store"), "is set aside", "imported 4 rows")
	if after := k.ok("audit", "verify"); after == before {
		t.Error("the import left no audit entries")
	}
}

func TestImportXLSX(t *testing.T) {
	k, path := migrated(t)
	k.ok("demo", "--customers", "3")
	f := excelize.NewFile()
	f.SetSheetName("Sheet1", "顧客一覧")
	for i, r := range [][]any{
		{"顧客ID", "姓", "名", "セイ", "メイ", "E-Mail", "誕生日"},
		{"X-1", "高橋", "美咲", "タカハシ", "ミサキ", "misaki@example.jp", "S45.3.1"},
		{"X-2", "田中", "蓮", "タナカ", "レン", "ren@example", ""},
		{"X-1", "高橋", "美咲", "タカハシ", "ミサキ", "misaki.t@example.jp", ""}, // the ID again
	} {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		f.SetSheetRow("顧客一覧", cell, &r)
	}
	file := filepath.Join(t.TempDir(), "顧客.xlsx")
	if err := f.SaveAs(file); err != nil {
		t.Fatal(err)
	}
	k.fails(1, []string{`no sheet "Sheet9" (sheets: 顧客一覧)`}, "import", file, "--channel", "ec", "--sheet", "Sheet9")
	out := k.ok("import", file, "--channel", "ec", "--sheet", "顧客一覧")
	mustContain(t, "xlsx import", out, "xlsx, sheet 顧客一覧, 7 columns", "→ external_id", "imported 3 rows", "1 created", "2 rejected")
	mustContain(t, "rejects", mustRead(t, file+".rejects.csv"), "3,E-Mail,not a valid email address", "X-2,田中",
		`4,顧客ID,"the ID ""X-1"" is on line 2 of this file already; a file gives each ID once, so this row was not imported",ID「X-1」はこのファイルの2行目にもあります。同じIDは1つのファイルに1回しか書けないため、この行は取り込んでいません,X-1`)
	ids := identity.New(openStore(t, path), nil)
	if found, err := ids.Lookup(context.Background(), "email", "misaki.t@example.jp"); err != nil || len(found) != 0 {
		t.Errorf("the second row with ID X-1 was imported: %+v %v", found, err)
	}
	mustContain(t, "re-import", k.ok("import", file, "--channel", "ec"), "1 unchanged")
	// --id-column names the ID column where the header is not one Kizuna
	// knows; it must agree with --map.
	f.SetSheetRow("顧客一覧", "A1", &[]any{"番号", "姓", "名", "セイ", "メイ", "E-Mail", "誕生日"})
	file2 := filepath.Join(t.TempDir(), "顧客2.xlsx")
	if err := f.SaveAs(file2); err != nil {
		t.Fatal(err)
	}
	k.fails(2, []string{"--id-column 番号 and --map 番号=email disagree"}, "import", file2, "--channel", "ec", "--id-column", "番号", "--map", "番号=email")
	// A column mapped to an attribute nobody declared stops the import
	// before any row, with what to do.
	k.fails(2, []string{"column 誕生日 is mapped to attr.rank, which is not a declared attribute", "PUT /api/v1/attributes/rank"}, "import", file2, "--channel", "ec", "--id-column", "番号", "--map", "誕生日=attr.rank")
	mustContain(t, "id column", k.ok("import", file2, "--channel", "ec", "--id-column", "番号"), "番号                   → external_id", "1 unchanged")
}

// An import killed mid-file resumes from its checkpoint: the rerun says
// where it starts, every row ends up stored once, and each bad row is in
// the reject file once.
func TestImportResumesAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the kizuna binary and kills it; skipped under -short")
	}
	bin := buildKizuna(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "k.db")
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, append(args, "--db", db)...)
		cmd.Env = childEnv()
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("kizuna %s: %v\n%s", args[0], err, out)
		}
		return string(out)
	}
	run("migrate", "up")
	file := filepath.Join(dir, "members.csv")
	var b strings.Builder
	b.WriteString("会員番号,氏名,メールアドレス,生年月日\n")
	const rows = 4000
	for i := range rows {
		birth := fmt.Sprintf("19%02d-0%d-1%d", 50+i%40, 1+i%9, i%10)
		if i%500 == 7 {
			birth = "1980-02-30" // a bad row
		}
		fmt.Fprintf(&b, "M%05d,山田 花子%d,hanako%d@example.jp,%s\n", i, i, i, birth)
	}
	os.WriteFile(file, []byte(b.String()), 0o644)
	cp := file + ".kizuna-checkpoint"

	cmd := exec.Command(bin, "import", file, "--channel", "store", "--batch", "20", "--db", db)
	cmd.Env = childEnv()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if c, err := os.ReadFile(cp); err == nil && strings.Contains(string(c), `"line":`) && !strings.Contains(string(c), `"line":0`) {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("no checkpoint appeared")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if _, err := os.Stat(cp); err != nil {
		t.Skip("the import finished before it could be killed")
	}
	out := run("import", file, "--channel", "store", "--batch", "20")
	if !strings.Contains(out, "resuming after line ") {
		t.Fatalf("the rerun did not resume:\n%s", out)
	}
	if _, err := os.Stat(cp); !os.IsNotExist(err) {
		t.Errorf("the checkpoint is still there after a finished import: %v", err)
	}
	sdb := openSQL(t, db)
	var n int
	if err := sdb.QueryRow(`SELECT COUNT(DISTINCT external_id) FROM source_profiles WHERE channel = 'store'`).Scan(&n); err != nil || n != rows-rows/500 {
		t.Errorf("%d rows stored (%v), want %d", n, err, rows-rows/500)
	}
	rej := mustRead(t, file+".rejects.csv")
	for i := 7; i < rows; i += 500 {
		if c := strings.Count(rej, fmt.Sprintf(",M%05d,", i)); c != 1 {
			t.Errorf("bad row M%05d is in the reject file %d times", i, c)
		}
	}
	if strings.Count(rej, "line,column,reason") != 1 {
		t.Errorf("the reject file has %d headers", strings.Count(rej, "line,column,reason"))
	}
}
