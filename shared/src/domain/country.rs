//! Nationalities: ISO 3166-1 alpha-3, the codes a passport's data page and machine-readable
//! zone use, plus the few codes ICAO Doc 9303 adds for travel documents that are no country's.

/// ISO 3166-1 alpha-3, all 249 officially assigned codes, sorted.
pub const ISO_3166_ALPHA3: [&str; 249] = [
    "ABW", "AFG", "AGO", "AIA", "ALA", "ALB", "AND", "ARE", "ARG", "ARM", "ASM", "ATA", "ATF",
    "ATG", "AUS", "AUT", "AZE", "BDI", "BEL", "BEN", "BES", "BFA", "BGD", "BGR", "BHR", "BHS",
    "BIH", "BLM", "BLR", "BLZ", "BMU", "BOL", "BRA", "BRB", "BRN", "BTN", "BVT", "BWA", "CAF",
    "CAN", "CCK", "CHE", "CHL", "CHN", "CIV", "CMR", "COD", "COG", "COK", "COL", "COM", "CPV",
    "CRI", "CUB", "CUW", "CXR", "CYM", "CYP", "CZE", "DEU", "DJI", "DMA", "DNK", "DOM", "DZA",
    "ECU", "EGY", "ERI", "ESH", "ESP", "EST", "ETH", "FIN", "FJI", "FLK", "FRA", "FRO", "FSM",
    "GAB", "GBR", "GEO", "GGY", "GHA", "GIB", "GIN", "GLP", "GMB", "GNB", "GNQ", "GRC", "GRD",
    "GRL", "GTM", "GUF", "GUM", "GUY", "HKG", "HMD", "HND", "HRV", "HTI", "HUN", "IDN", "IMN",
    "IND", "IOT", "IRL", "IRN", "IRQ", "ISL", "ISR", "ITA", "JAM", "JEY", "JOR", "JPN", "KAZ",
    "KEN", "KGZ", "KHM", "KIR", "KNA", "KOR", "KWT", "LAO", "LBN", "LBR", "LBY", "LCA", "LIE",
    "LKA", "LSO", "LTU", "LUX", "LVA", "MAC", "MAF", "MAR", "MCO", "MDA", "MDG", "MDV", "MEX",
    "MHL", "MKD", "MLI", "MLT", "MMR", "MNE", "MNG", "MNP", "MOZ", "MRT", "MSR", "MTQ", "MUS",
    "MWI", "MYS", "MYT", "NAM", "NCL", "NER", "NFK", "NGA", "NIC", "NIU", "NLD", "NOR", "NPL",
    "NRU", "NZL", "OMN", "PAK", "PAN", "PCN", "PER", "PHL", "PLW", "PNG", "POL", "PRI", "PRK",
    "PRT", "PRY", "PSE", "PYF", "QAT", "REU", "ROU", "RUS", "RWA", "SAU", "SDN", "SEN", "SGP",
    "SGS", "SHN", "SJM", "SLB", "SLE", "SLV", "SMR", "SOM", "SPM", "SRB", "SSD", "STP", "SUR",
    "SVK", "SVN", "SWE", "SWZ", "SXM", "SYC", "SYR", "TCA", "TCD", "TGO", "THA", "TJK", "TKL",
    "TKM", "TLS", "TON", "TTO", "TUN", "TUR", "TUV", "TWN", "TZA", "UGA", "UKR", "UMI", "URY",
    "USA", "UZB", "VAT", "VCT", "VEN", "VGB", "VIR", "VNM", "VUT", "WLF", "WSM", "YEM", "ZAF",
    "ZMB", "ZWE",
];

/// Codes ICAO Doc 9303 (part 3) adds for passports that exist but name no ISO country: the
/// British nationality classes, Kosovo, the United Nations and its agencies, the Sovereign
/// Military Order of Malta, and stateless persons and refugees. Such holders do book visas.
pub const ICAO_DOCUMENT_CODES: [&str; 13] = [
    "GBD", "GBN", "GBO", "GBP", "GBS", "RKS", "UNA", "UNK", "UNO", "XOM", "XXA", "XXB", "XXC",
];

/// Whether `code` (uppercase) names a nationality a passport can carry.
pub fn is_known(code: &str) -> bool {
    ISO_3166_ALPHA3.binary_search(&code).is_ok() || ICAO_DOCUMENT_CODES.contains(&code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_iso_list_is_sorted_unique_and_well_formed() {
        assert!(ISO_3166_ALPHA3.windows(2).all(|w| w[0] < w[1]));
        for code in ISO_3166_ALPHA3.iter().chain(&ICAO_DOCUMENT_CODES) {
            assert!(code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()));
        }
        for code in ICAO_DOCUMENT_CODES {
            assert!(!ISO_3166_ALPHA3.contains(&code), "{code}");
        }
    }

    #[test]
    fn real_codes_are_known_and_others_are_not() {
        for code in [
            "USA", "GBR", "DEU", "FRA", "JPN", "KOR", "RUS", "BRA", "ZAF", "XXA", "RKS",
        ] {
            assert!(is_known(code), "{code}");
        }
        // Withdrawn (Yugoslavia, Netherlands Antilles), user-assigned, and MRZ's 1-letter "D".
        for code in ["YUG", "ANT", "XYZ", "AAA", "ZZZ", "D<<", "usa", "US"] {
            assert!(!is_known(code), "{code}");
        }
    }
}
