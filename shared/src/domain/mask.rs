//! Masking of personal data for responses and log lines (`API.md` rules). Every masked form has
//! the same number of characters as the original, so layouts do not shift and nothing is learnt
//! from the length that was not already known.

use crate::domain::name::SEPARATOR;
use crate::domain::phone::is_mobile;
use crate::domain::{ForeignPassport, IdNumber, NameScript, PersonName, Phone};

/// Two-character surnames (复姓): for these the first two characters are the surname, so both
/// stay visible when the name is long enough to have a given name after them.
pub const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "太史", "端木", "上官", "司马", "东方", "独孤", "南宫", "万俟", "闻人", "夏侯", "诸葛",
    "尉迟", "公羊", "赫连", "澹台", "皇甫", "宗政", "濮阳", "公冶", "太叔", "申屠", "公孙", "慕容",
    "仲孙", "钟离", "长孙", "宇文", "司徒", "鲜于", "司空", "闾丘", "子车", "亓官", "司寇", "巫马",
    "公西", "颛孙", "壤驷", "公良", "漆雕", "乐正", "宰父", "谷梁", "拓跋", "夹谷", "轩辕", "令狐",
    "段干", "百里", "呼延", "东郭", "南门", "羊舌", "微生", "公户", "公玉", "公仪", "梁丘", "公仲",
    "公上", "公门", "公山", "公坚", "左丘", "公伯", "西门", "公祖", "第五", "公乘", "贯丘", "公皙",
    "南荣", "东里", "东宫", "仲长", "子书", "子桑", "即墨", "达奚", "褚师",
];

/// `110101199003070011` → `1101**********0011`.
pub fn mask_id(id: &IdNumber) -> String {
    mask_id_str(id.as_str())
}

/// For raw, possibly invalid input such as a rejected ID number. Shows `min(4, n / 4)` characters
/// at each end and stars the rest: a valid 18-character number masks exactly as [`mask_id`],
/// and a shorter string never shows more than half of itself (8 characters → `12****78`,
/// 3 characters → `***`).
pub fn mask_id_str(s: &str) -> String {
    keep_ends(s, 4)
}

/// `13812345678` → `138****5678`.
pub fn mask_phone(phone: &Phone) -> String {
    mask_mobile_digits(phone.as_str())
}

/// Expects the 11 ASCII digits of a mobile number.
fn mask_mobile_digits(s: &str) -> String {
    format!("{}****{}", &s[..3], &s[7..])
}

/// `E12345678` → `E1*****78`. Numbers under 8 characters show one at each end instead of two,
/// so that at least half of any number stays hidden.
pub fn mask_passport(passport: &ForeignPassport) -> String {
    mask_passport_no(passport.number())
}

pub fn mask_passport_no(s: &str) -> String {
    keep_ends(s, 2)
}

/// Shows at most `cap` characters, and at most a quarter of the string, at each end.
fn keep_ends(s: &str, cap: usize) -> String {
    let n = s.chars().count();
    let keep = cap.min(n / 4);
    s.chars()
        .enumerate()
        .map(|(i, c)| if i < keep || i >= n - keep { c } else { '*' })
        .collect()
}

/// Keeps the surname: "张三丰" → "张**", "欧阳娜娜" → "欧阳**", "买买提·艾力" → "买**·**",
/// "JOHN SMITH" → "J*** S****".
pub fn mask_name(name: &PersonName) -> String {
    match name.script() {
        NameScript::Han => mask_han_name(name.as_str()),
        NameScript::Latin => mask_latin_name(name.as_str()),
    }
}

fn mask_han_name(s: &str) -> String {
    // In a minority name the first part is not a surname, so only its first character shows;
    // the dots stay because they are not personal and keep the name's shape readable.
    let shown = if s.contains(SEPARATOR) {
        1
    } else if s.chars().count() > 2 && COMPOUND_SURNAMES.iter().any(|c| s.starts_with(c)) {
        2
    } else {
        1
    };
    s.chars()
        .enumerate()
        .map(|(i, c)| if i < shown || c == SEPARATOR { c } else { '*' })
        .collect()
}

/// Keeps each space-separated word's first letter. Hyphens and apostrophes are masked like
/// letters, so "ANNE-MARIE" → "A*********" shows no more than one initial per word.
fn mask_latin_name(s: &str) -> String {
    let mut word_start = true;
    s.chars()
        .map(|c| {
            let shown = if c == ' ' || word_start { c } else { '*' };
            word_start = c == ' ';
            shown
        })
        .collect()
}

/// Masks personal numbers in free text bound for a log line: an ID-number-shaped run (exactly
/// 17 digits and a digit or X) and a mainland mobile (exactly 11 digits `1[3-9]…`, also after a
/// `86` country code). Matching whole digit runs keeps timestamps, amounts and other long
/// numbers intact; the shape is enough, a wrong check digit is still someone's mistyped ID.
pub fn scrub(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let run = &text[start..i];
        let masked = match run.len() {
            17 if matches!(b.get(i), Some(b'X' | b'x')) => {
                i += 1;
                Some(mask_id_str(&text[start..i]))
            }
            18 => Some(mask_id_str(run)),
            11 if is_mobile(run) => Some(mask_mobile_digits(run)),
            13 if run.starts_with("86") && is_mobile(&run[2..]) => {
                Some(format!("86{}", mask_mobile_digits(&run[2..])))
            }
            _ => None,
        };
        if let Some(masked) = masked {
            // Digit runs start and end on ASCII bytes, so these slices are on char boundaries.
            out.push_str(&text[copied..start]);
            out.push_str(&masked);
            copied = i;
        }
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::arb;
    use proptest::prelude::*;
    use std::collections::HashSet;

    fn name(s: &str) -> String {
        mask_name(&PersonName::parse(s).unwrap())
    }

    #[test]
    fn id_numbers_show_four_at_each_end() {
        let id = IdNumber::parse("110101199003070011", arb::TODAY).unwrap();
        assert_eq!(mask_id(&id), "1101**********0011");
    }

    #[test]
    fn raw_id_strings_never_show_more_than_half() {
        assert_eq!(mask_id_str("110101199003070017"), "1101**********0017");
        assert_eq!(mask_id_str("11010119900307001"), "1101*********7001");
        assert_eq!(mask_id_str("110101900307001"), "110*********001");
        assert_eq!(mask_id_str("12345678"), "12****78");
        assert_eq!(mask_id_str("1234567"), "1*****7");
        assert_eq!(mask_id_str("123"), "***");
        assert_eq!(mask_id_str(""), "");
        assert_eq!(mask_id_str("一二三四五六七八"), "一二****七八");
        assert_eq!(
            mask_id_str(&"9".repeat(30)),
            format!("9999{}9999", "*".repeat(22))
        );
    }

    #[test]
    fn phones_show_three_and_four() {
        assert_eq!(
            mask_phone(&Phone::parse("13812345678").unwrap()),
            "138****5678"
        );
    }

    #[test]
    fn passports_show_two_at_each_end_when_long_enough() {
        let p = ForeignPassport::parse("E12345678", "USA").unwrap();
        assert_eq!(mask_passport(&p), "E1*****78");
        assert_eq!(mask_passport_no("AB123456"), "AB****56");
        assert_eq!(mask_passport_no("AB12345"), "A*****5");
        assert_eq!(mask_passport_no("A1234"), "A***4");
    }

    #[test]
    fn han_names_keep_the_surname() {
        assert_eq!(name("张三"), "张*");
        assert_eq!(name("张三丰"), "张**");
        assert_eq!(name("欧阳娜娜"), "欧阳**");
        assert_eq!(name("欧阳娜"), "欧阳*");
        assert_eq!(name("欧阳"), "欧*");
        assert_eq!(name("司马相如"), "司马**");
        assert_eq!(name("𠀀𠀁𠀂"), "𠀀**");
    }

    #[test]
    fn minority_names_keep_the_first_character_and_the_dots() {
        assert_eq!(name("买买提·艾力"), "买**·**");
        assert_eq!(name("爱新觉罗·溥仪"), "爱***·**");
        assert_eq!(name("欧阳·艾力"), "欧*·**");
    }

    #[test]
    fn latin_names_keep_each_initial() {
        assert_eq!(name("JOHN SMITH"), "J*** S****");
        assert_eq!(name("O'NEIL"), "O*****");
        assert_eq!(name("ANNE-MARIE DUPONT"), "A********* D*****");
    }

    #[test]
    fn compound_surnames_are_distinct_two_character_han_strings() {
        let unique: HashSet<_> = COMPOUND_SURNAMES.iter().collect();
        assert_eq!(unique.len(), COMPOUND_SURNAMES.len());
        assert_eq!(COMPOUND_SURNAMES.len(), 81);
        for s in COMPOUND_SURNAMES {
            assert_eq!(s.chars().count(), 2, "{s}");
            assert!(s.chars().all(crate::domain::name::is_han), "{s}");
        }
    }

    #[test]
    fn scrub_masks_ids_and_phones_in_text() {
        assert_eq!(
            scrub("证件110101199003070017，电话13812345678。"),
            "证件1101**********0017，电话138****5678。"
        );
        assert_eq!(scrub("id=11010519491231002x;"), "id=1101**********002x;");
        assert_eq!(scrub("11010519491231002Xyz"), "1101**********002Xyz");
        assert_eq!(scrub("tel:+8613812345678"), "tel:+86138****5678");
        assert_eq!(scrub("13812345678"), "138****5678");
    }

    #[test]
    fn scrub_leaves_other_numbers_alone() {
        for keep in [
            "ts=1795219200000",
            "order 138123456789",
            "x 2381234567",
            "12812345678",
            "1101011990030700171",
            "1101011990030700",
            "8612812345678",
            "无数字的文本",
            "",
        ] {
            assert_eq!(scrub(keep), keep);
        }
    }

    /// Text that may hold anything, including digits and X, around a non-digit boundary.
    fn noise() -> impl Strategy<Value = String> {
        "[0-9a-zA-Z 张三：，。:=+-]{0,20}"
    }

    fn boundary() -> impl Strategy<Value = String> {
        "[ a-zA-Z张：，。:=+-]"
    }

    proptest! {
        #[test]
        fn a_masked_id_keeps_length_and_at_most_8_characters(s in arb::id_number()) {
            let id = IdNumber::parse(&s, arb::TODAY).unwrap();
            let masked = mask_id(&id);
            prop_assert_eq!(masked.chars().count(), 18);
            let same = masked.chars().zip(s.chars()).filter(|(m, o)| m == o).count();
            prop_assert!(same <= 8, "{}", masked);
        }

        #[test]
        fn a_masked_phone_reveals_at_most_7_digits(p in arb::phone()) {
            let masked = mask_phone(&Phone::parse(&p).unwrap());
            prop_assert_eq!(masked.len(), 11);
            prop_assert!(masked.bytes().filter(u8::is_ascii_digit).count() <= 7);
            prop_assert_eq!(&masked[..3], &p[..3]);
            prop_assert_eq!(&masked[3..7], "****");
            prop_assert_eq!(&masked[7..], &p[7..]);
        }

        #[test]
        fn a_masked_han_name_reveals_at_most_its_surname(s in arb::han_name()) {
            let masked = name(&s);
            prop_assert_eq!(masked.chars().count(), s.chars().count());
            let shown: Vec<char> = masked.chars().take_while(|&c| c != '*').collect();
            prop_assert!(shown.len() <= 2);
            prop_assert!(shown.len() == 1 || COMPOUND_SURNAMES.iter().any(|c| s.starts_with(c)));
            prop_assert!(s.starts_with(&shown.iter().collect::<String>()));
            prop_assert!(masked.chars().skip(shown.len()).all(|c| c == '*'));
        }

        #[test]
        fn a_masked_minority_name_reveals_one_character(s in arb::minority_name()) {
            let masked = name(&s);
            prop_assert_eq!(masked.chars().count(), s.chars().count());
            prop_assert_eq!(masked.chars().next(), s.chars().next());
            let shown = masked.chars().skip(1).filter(|&c| c != '*' && c != SEPARATOR).count();
            prop_assert_eq!(shown, 0);
        }

        #[test]
        fn a_masked_latin_name_reveals_only_initials(s in arb::latin_name()) {
            let masked = name(&s);
            prop_assert_eq!(masked.len(), s.len());
            let words = s.split(' ').count();
            prop_assert_eq!(masked.bytes().filter(u8::is_ascii_uppercase).count(), words);
        }

        #[test]
        fn scrub_never_lets_an_id_or_phone_through(
            (id, phone) in (arb::id_number(), arb::phone()),
            lower_x in any::<bool>(),
            parts in proptest::collection::vec(noise(), 3),
            seps in proptest::collection::vec(boundary(), 4),
        ) {
            let id = if lower_x { id.to_ascii_lowercase() } else { id };
            let text = format!(
                "{}{}{id}{}{}{}{phone}{}{}",
                parts[0], seps[0], seps[1], parts[1], seps[2], seps[3], parts[2]
            );
            let out = scrub(&text);
            prop_assert!(!out.contains(&id), "{}", out);
            prop_assert!(!out.contains(&phone), "{}", out);
            prop_assert_eq!(out.chars().count(), text.chars().count());
        }

        #[test]
        fn scrub_only_replaces_digits(text in "[0-9xX张 ,]{0,60}") {
            let out = scrub(&text);
            prop_assert_eq!(out.chars().count(), text.chars().count());
            for (o, t) in out.chars().zip(text.chars()) {
                prop_assert!(o == t || (o == '*' && (t.is_ascii_digit())), "{} -> {}", text, out);
            }
        }
    }
}

/// A postal address: the first six characters (province and city, as people write them) stay,
/// the rest is masked with a fixed `****` so the length does not hint at the street.
pub fn mask_address(address: &str) -> String {
    let head: String = address.chars().take(6).collect();
    if address.chars().count() <= 6 {
        return "****".to_owned();
    }
    format!("{head}****")
}

#[cfg(test)]
mod address_tests {
    use super::mask_address;

    #[test]
    fn addresses_keep_only_their_region() {
        assert_eq!(
            mask_address("广东省深圳市南山区科技园路1号"),
            "广东省深圳市****"
        );
        assert_eq!(mask_address("北京市"), "****");
        assert!(!mask_address("上海市浦东新区世纪大道100号").contains("100"));
    }
}
