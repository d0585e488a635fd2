package domain

import (
	"strings"
)

// NormalizeCountry returns the ISO 3166-1 alpha-2 code (upper case) for a
// country as people write it: a code in any case, a common alpha-3 code, an
// English name or a usual alias ("UK", "United States", "Holland"). The
// legacy list mixes these spellings, and a filter or a count by country is
// only right when each country has one.
//
// A value it does not know is returned trimmed but otherwise as given, so
// nothing is lost and the unknown spelling stays visible; "" stays "".
func NormalizeCountry(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	key := countryKey(s)
	if len(key) == 2 {
		if code := strings.ToUpper(key); isAlpha2(code) {
			return code
		}
	}
	if code, ok := countryAliases[key]; ok {
		return code
	}
	return s
}

// countryKey folds the differences that do not change which country is
// meant: case, dots ("U.S."), repeated blanks and a leading "the".
func countryKey(s string) string {
	s = strings.ToLower(strings.ReplaceAll(s, ".", ""))
	s = strings.Join(strings.Fields(s), " ")
	return strings.TrimPrefix(s, "the ")
}

// alpha2Codes are the officially assigned ISO 3166-1 alpha-2 codes.
const alpha2Codes = "" +
	"AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ " +
	"BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ " +
	"CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ " +
	"DE DJ DK DM DO DZ " +
	"EC EE EG EH ER ES ET " +
	"FI FJ FK FM FO FR " +
	"GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY " +
	"HK HM HN HR HT HU " +
	"ID IE IL IM IN IO IQ IR IS IT " +
	"JE JM JO JP " +
	"KE KG KH KI KM KN KP KR KW KY KZ " +
	"LA LB LC LI LK LR LS LT LU LV LY " +
	"MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ " +
	"NA NC NE NF NG NI NL NO NP NR NU NZ " +
	"OM " +
	"PA PE PF PG PH PK PL PM PN PR PS PT PW PY " +
	"QA " +
	"RE RO RS RU RW " +
	"SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ " +
	"TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ " +
	"UA UG UM US UY UZ " +
	"VA VC VE VG VI VN VU " +
	"WF WS " +
	"YE YT " +
	"ZA ZM ZW"

var alpha2 = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range strings.Fields(alpha2Codes) {
		m[c] = true
	}
	return m
}()

func isAlpha2(code string) bool { return alpha2[code] }

// countryAliases map a countryKey to its alpha-2 code: names in English (and
// the country's own, where sellers write it), alpha-3 codes and the aliases
// found in exports. "UK" is reserved by ISO for the United Kingdom, whose
// code is GB; the nations of the United Kingdom count as GB too.
var countryAliases = map[string]string{
	"us": "US", "usa": "US", "united states": "US", "united states of america": "US", "america": "US",
	"uk": "GB", "gbr": "GB", "united kingdom": "GB", "great britain": "GB", "britain": "GB",
	"england": "GB", "scotland": "GB", "wales": "GB", "northern ireland": "GB",
	"deu": "DE", "germany": "DE", "deutschland": "DE",
	"fra": "FR", "france": "FR",
	"can": "CA", "canada": "CA",
	"aus": "AU", "australia": "AU",
	"nld": "NL", "netherlands": "NL", "holland": "NL", "nederland": "NL",
	"jpn": "JP", "japan": "JP",
	"bra": "BR", "brazil": "BR", "brasil": "BR",
	"swe": "SE", "sweden": "SE", "sverige": "SE",
	"esp": "ES", "spain": "ES", "españa": "ES", "espana": "ES",
	"ita": "IT", "italy": "IT", "italia": "IT",
	"irl": "IE", "ireland": "IE",
	"che": "CH", "switzerland": "CH", "schweiz": "CH", "suisse": "CH",
	"aut": "AT", "austria": "AT", "österreich": "AT",
	"bel": "BE", "belgium": "BE",
	"dnk": "DK", "denmark": "DK",
	"nor": "NO", "norway": "NO",
	"fin": "FI", "finland": "FI",
	"pol": "PL", "poland": "PL",
	"prt": "PT", "portugal": "PT",
	"lux": "LU", "luxembourg": "LU",
	"isl": "IS", "iceland": "IS",
	"grc": "GR", "greece": "GR",
	"cze": "CZ", "czechia": "CZ", "czech republic": "CZ",
	"hun": "HU", "hungary": "HU",
	"rou": "RO", "romania": "RO",
	"ukr": "UA", "ukraine": "UA",
	"rus": "RU", "russia": "RU", "russian federation": "RU",
	"tur": "TR", "turkey": "TR", "türkiye": "TR", "turkiye": "TR",
	"isr": "IL", "israel": "IL",
	"are": "AE", "uae": "AE", "united arab emirates": "AE",
	"sau": "SA", "saudi arabia": "SA",
	"egy": "EG", "egypt": "EG",
	"zaf": "ZA", "south africa": "ZA",
	"nga": "NG", "nigeria": "NG",
	"ken": "KE", "kenya": "KE",
	"nzl": "NZ", "new zealand": "NZ",
	"mex": "MX", "mexico": "MX", "méxico": "MX",
	"arg": "AR", "argentina": "AR",
	"chl": "CL", "chile": "CL",
	"col": "CO", "colombia": "CO",
	"per": "PE", "peru": "PE",
	"ind": "IN", "india": "IN",
	"chn": "CN", "china": "CN",
	"hkg": "HK", "hong kong": "HK",
	"twn": "TW", "taiwan": "TW",
	"kor": "KR", "south korea": "KR", "korea": "KR", "republic of korea": "KR",
	"sgp": "SG", "singapore": "SG",
	"mys": "MY", "malaysia": "MY",
	"tha": "TH", "thailand": "TH",
	"idn": "ID", "indonesia": "ID",
	"phl": "PH", "philippines": "PH",
	"vnm": "VN", "vietnam": "VN", "viet nam": "VN",
}
