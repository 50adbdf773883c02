//! Resident identity numbers (GB 11643): their check, and their masked form.

use oip_engine::types::Date;

/// Masks an identity number for display: `5101**********1234`.
pub fn mask_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 8))
}

/// Whether an 18-character identity number is well formed: digits, a real birth date and
/// the ISO 7064 MOD 11-2 check character (GB 11643).
pub fn id_number_problem(id: &str) -> Option<&'static str> {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let b = id.as_bytes();
    if b.len() != 18 {
        return Some("must be 18 characters");
    }
    if !b[..17].iter().all(u8::is_ascii_digit) {
        return Some("the first 17 characters must be digits");
    }
    let birth = &id[6..14];
    if Date::parse(&format!("{}-{}-{}", &birth[..4], &birth[4..6], &birth[6..])).is_err() {
        return Some("characters 7-14 must be a real birth date");
    }
    let sum: u32 = b[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(c, w)| u32::from(c - b'0') * w)
        .sum();
    let expected = CHECK[(sum % 11) as usize];
    if b[17].to_ascii_uppercase() != expected {
        return Some("check character does not match");
    }
    None
}
