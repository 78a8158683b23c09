//! Crockford base32 (<https://www.crockford.com/base32.html>) for numbers people read aloud and
//! retype: the alphabet leaves out I, L, O and U, and decoding forgives the usual confusions.
//! The mod-37 check symbol catches every single-symbol substitution (37 is a prime above 31, so
//! no change of one digit is a multiple of it) and every adjacent transposition (such a swap
//! changes the value by a multiple of 31 × 32^k, again never of 37).

pub const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Check values 32..=36 need symbols beyond the data alphabet.
const CHECK_EXTRA: &[u8; 5] = b"*~$=U";

/// Appends `value`'s low `symbols × 5` bits, most significant first.
pub fn encode(value: u64, symbols: u32, out: &mut String) {
    for i in (0..symbols).rev() {
        let v = (value >> (5 * i)) & 31;
        out.push(char::from(ALPHABET[v as usize]));
    }
}

/// A data symbol's value, case-insensitive, reading O as 0 and I or L as 1.
pub fn decode(symbol: u8) -> Option<u8> {
    let symbol = match symbol.to_ascii_uppercase() {
        b'O' => b'0',
        b'I' | b'L' => b'1',
        other => other,
    };
    ALPHABET.iter().position(|&a| a == symbol).map(|p| p as u8)
}

/// What the check symbol of a number encodes: the number mod 37.
pub fn check_value(value: u128) -> u8 {
    (value % 37) as u8
}

pub fn check_symbol(value: u128) -> char {
    let v = usize::from(check_value(value));
    char::from(if v < 32 {
        ALPHABET[v]
    } else {
        CHECK_EXTRA[v - 32]
    })
}

/// A check symbol's value (0..=36), with the same leniency as [`decode`].
pub fn decode_check(symbol: u8) -> Option<u8> {
    decode(symbol).or_else(|| {
        let upper = symbol.to_ascii_uppercase();
        CHECK_EXTRA
            .iter()
            .position(|&c| c == upper)
            .map(|p| 32 + p as u8)
    })
}

/// The input without the spaces and hyphens people add when writing a number in groups.
pub fn strip_grouping(s: &str) -> Vec<u8> {
    s.bytes().filter(|b| !matches!(b, b' ' | b'-')).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_is_big_endian_five_bits_per_symbol() {
        let mut s = String::new();
        encode(32 * 32 - 1, 3, &mut s);
        assert_eq!(s, "0ZZ");
        s.clear();
        encode(0b00001_00010_11111, 3, &mut s);
        assert_eq!(s, "12Z");
    }

    #[test]
    fn every_symbol_decodes_to_its_position() {
        for (i, &c) in ALPHABET.iter().enumerate() {
            assert_eq!(decode(c), Some(i as u8));
            assert_eq!(decode(c.to_ascii_lowercase()), Some(i as u8));
        }
    }

    #[test]
    fn confusable_letters_are_read_as_digits_and_u_is_not_data() {
        assert_eq!(decode(b'O'), Some(0));
        assert_eq!(decode(b'o'), Some(0));
        assert_eq!(decode(b'I'), Some(1));
        assert_eq!(decode(b'l'), Some(1));
        assert_eq!(decode(b'U'), None);
        assert_eq!(decode(b'*'), None);
    }

    #[test]
    fn check_symbols_cover_all_37_values() {
        for v in 0..37u128 {
            let c = check_symbol(v);
            assert_eq!(decode_check(c as u8), Some(v as u8), "{v}");
            assert_eq!(check_symbol(v + 37), c);
        }
        assert_eq!(check_symbol(32), '*');
        assert_eq!(check_symbol(36), 'U');
        assert_eq!(decode_check(b'u'), Some(36));
    }

    #[test]
    fn grouping_is_stripped() {
        assert_eq!(strip_grouping(" AB-CD EF "), b"ABCDEF".to_vec());
    }
}
