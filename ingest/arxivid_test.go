package ingest

import "testing"

func TestNormalizeID(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"2401.12345", "2401.12345", true},
		{"2401.12345v2", "2401.12345", true},
		{"  2401.12345v12\n", "2401.12345", true},
		{"arXiv:2401.12345v2", "2401.12345", true},
		{"arxiv:2401.12345", "2401.12345", true},
		{"ARXIV:2401.12345", "2401.12345", true},
		{"oai:arXiv.org:2411.02118v1", "2411.02118", true},
		{"0704.0001", "0704.0001", true},
		{"1412.9999v3", "1412.9999", true},
		{"1501.00001", "1501.00001", true},
		{"http://arxiv.org/abs/2401.12345v1", "2401.12345", true},
		{"https://arxiv.org/abs/2401.12345", "2401.12345", true},
		{"https://arxiv.org/pdf/2401.12345v3", "2401.12345", true},
		{"https://arxiv.org/pdf/2401.12345v3.pdf", "2401.12345", true},
		{"https://arxiv.org/pdf/2401.12345.pdf", "2401.12345", true},
		{"https://www.arxiv.org/abs/2401.12345?context=cs.LG", "2401.12345", true},
		{"http://export.arxiv.org/abs/2401.12345v2#comments", "2401.12345", true},
		{"HTTPS://ARXIV.ORG/abs/2401.12345", "2401.12345", true},
		{"arxiv.org/abs/2401.12345", "2401.12345", true},
		{"https://arxiv.org/abs/2401.12345/", "2401.12345", true},
		{"hep-th/9901001", "hep-th/9901001", true},
		{"hep-th/9901001v3", "hep-th/9901001", true},
		{"HEP-TH/9901001", "hep-th/9901001", true},
		{"arXiv:hep-th/9901001", "hep-th/9901001", true},
		{"math.GT/0309136", "math/0309136", true},
		{"cond-mat.mes-hall/0211022v2", "cond-mat/0211022", true},
		{"http://arxiv.org/abs/hep-ex/0307015v1", "hep-ex/0307015", true},
		{"https://arxiv.org/pdf/cond-mat/0702661v2", "cond-mat/0702661", true},
		{"oai:arXiv.org:math/0406220", "math/0406220", true},

		{"", "", false},
		{"   ", "", false},
		{"  not an id ", "not an id", false},
		{"1234.12345", "1234.12345", false}, // month 34, the API's own example of a malformed id
		{"2413.12345", "2413.12345", false},
		{"2400.12345", "2400.12345", false},
		{"2401.1234", "2401.1234", false},   // four digits after 2014
		{"1401.12345", "1401.12345", false}, // five digits before 2015
		{"2401.123456", "2401.123456", false},
		{"2401.12345v", "2401.12345v", false},
		{"2401.12345v2v3", "2401.12345v2v3", false},
		{"v2", "v2", false},
		{"hep-th/990100", "hep-th/990100", false},
		{"hep-th/9913001", "hep-th/9913001", false},
		{"hep_th/9901001", "hep_th/9901001", false},
		{"/9901001", "/9901001", false},
		{"-th/9901001", "-th/9901001", false},
		{"https://example.org/abs/2401.12345", "https://example.org/abs/2401.12345", false},
		{"https://arxiv.org/list/cs.LG/recent", "https://arxiv.org/list/cs.LG/recent", false},
		{"https://user:pw@arxiv.org/abs/2401.12345", "https://user:pw@arxiv.org/abs/2401.12345", false},
		{"ftp://arxiv.org/abs/2401.12345", "ftp://arxiv.org/abs/2401.12345", false},
		{"10.1103/PhysRevD.76.013009", "10.1103/PhysRevD.76.013009", false},
		{"２４０１.１２３４５", "２４０１.１２３４５", false}, // full-width digits
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := NormalizeID(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("NormalizeID(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
			if ok {
				if again, ok2 := NormalizeID(got); again != got || !ok2 {
					t.Errorf("not idempotent: NormalizeID(%q) = %q, %v", got, again, ok2)
				}
			}
		})
	}
}
