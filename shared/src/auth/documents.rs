//! How identity documents are stored so that a database dump does not reveal them: a keyed hash
//! (HMAC-SHA256) to find and deduplicate a person, the masked form to show, and the whole number
//! sealed with AES-256-GCM for the rare place that must send it on. Both keys live outside the
//! database (Worker secrets); without them neither column gives the numbers back, and the hash
//! cannot be reversed by trying every possible ID number, as an unkeyed one could.

use crate::domain::{DocumentKind, PersonDocument};
use crate::entropy::Entropy;
use crate::error::{ApiResult, KeyError};
use crate::seal::SealKeys;
use crate::store::StoredDocument;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub struct DocumentKeys {
    hash_key: Vec<u8>,
    seal: SealKeys,
}

impl DocumentKeys {
    /// `hash_key_b64`: at least 32 random bytes; `seal_spec`: the sealing keys
    /// ([`SealKeys::parse`]), the same that seal every other personal value.
    pub fn from_base64(hash_key_b64: &str, seal_spec: &str) -> Result<Self, KeyError> {
        let hash_key = B64
            .decode(hash_key_b64.trim())
            .ok()
            .filter(|k| k.len() >= 32)
            .ok_or(KeyError("ID_HASH_KEY"))?;
        let seal = SealKeys::parse(seal_spec, "ID_SEAL_KEY")?;
        if seal.current_bytes()[..] == hash_key[..] {
            // One key for two purposes would tie their rotation and their compromise together.
            return Err(KeyError("ID_SEAL_KEY"));
        }
        Ok(DocumentKeys { hash_key, seal })
    }

    /// The lookup key of a document: the same person gives the same hash, whoever adds them.
    /// The kind is hashed in so an ID number and an equal passport number never collide.
    pub fn hash(&self, kind: DocumentKind, number: &str) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.hash_key).expect("HMAC takes keys of any length");
        mac.update(kind.as_str().as_bytes());
        mac.update(b":");
        mac.update(number.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Encrypts `number`, bound to `hash` (the row's lookup key) as associated data, so a sealed
    /// value copied onto another person's row does not open.
    pub fn seal(&self, hash: &str, number: &str, entropy: &mut Entropy) -> ApiResult<String> {
        self.seal.seal(hash, number, entropy)
    }

    /// The number sealed in `sealed` for the row keyed `hash`. Failure means a wrong key or a
    /// tampered row: an internal error, never shown in detail.
    pub fn open(&self, hash: &str, sealed: &str) -> ApiResult<String> {
        self.seal.open(hash, sealed)
    }

    /// The lookup key of a person's document.
    pub fn hash_of(&self, document: &PersonDocument) -> String {
        self.hash(document.kind(), document.number())
    }

    /// The stored form of a document: its hash, its masked form, the number sealed.
    pub fn protect(
        &self,
        document: &PersonDocument,
        entropy: &mut Entropy,
    ) -> ApiResult<StoredDocument> {
        let hash = self.hash_of(document);
        let sealed = self.seal(&hash, document.number(), entropy)?;
        Ok(StoredDocument {
            kind: document.kind(),
            masked: document.masked(),
            hash,
            sealed,
            nationality: document.nationality().map(str::to_owned),
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::arb;

    pub const HASH_KEY: &str = "pTtueOofem/+mzfmkZ9b5q8Qf4DjWQy2ZEPwOF9i5jo=";
    pub const SEAL_KEY: &str = "o8A6dc/P4bD/e5d3oTXg1qoRYmeDXTzYUHpf9duXSoY=";
    const ID: &str = "11010519491231002X";

    pub fn keys() -> DocumentKeys {
        DocumentKeys::from_base64(HASH_KEY, SEAL_KEY).unwrap()
    }

    fn id() -> PersonDocument {
        PersonDocument::IdCard(crate::domain::IdNumber::parse(ID, arb::TODAY).unwrap())
    }

    #[test]
    fn sealing_round_trips_and_hides_the_number() {
        let k = keys();
        let mut e = Entropy::from_seed([9; 32]);
        let doc = k.protect(&id(), &mut e).unwrap();
        assert_eq!(doc.masked, "1101**********002X");
        assert_eq!(doc.kind, DocumentKind::IdCard);
        for column in [&doc.hash, &doc.sealed, &doc.masked] {
            assert!(!column.contains(ID), "{column}");
            assert!(!column.contains("19491231"), "{column}");
        }
        assert!(doc.sealed.starts_with("v1."));
        assert_eq!(k.open(&doc.hash, &doc.sealed).unwrap(), ID);
    }

    #[test]
    fn foreigners_documents_are_sealed_with_their_kind_and_nationality() {
        let k = keys();
        let mut e = Entropy::from_seed([3; 32]);
        let passport = crate::domain::ForeignPassport::parse("E12345678", "USA").unwrap();
        let doc = k
            .protect(&PersonDocument::ForeignPassport(passport), &mut e)
            .unwrap();
        assert_eq!(doc.kind, DocumentKind::ForeignPassport);
        assert_eq!(doc.masked, "E1*****78");
        assert_eq!(doc.nationality.as_deref(), Some("USA"));
        assert!(!doc.sealed.contains("E12345678") && !doc.hash.contains("E12345678"));
        assert_eq!(k.open(&doc.hash, &doc.sealed).unwrap(), "E12345678");
        // The same characters under another kind are another person.
        assert_ne!(doc.hash, k.hash(DocumentKind::IdCard, "E12345678"));
        let pr = crate::domain::PermanentResidenceId::parse(
            &arb::with_check("91184019850412001"),
            arb::TODAY,
        )
        .unwrap();
        let doc = k
            .protect(&PersonDocument::PermanentResidence(pr), &mut e)
            .unwrap();
        assert_eq!(doc.kind, DocumentKind::PermanentResidence);
        assert_eq!(doc.nationality, None);
    }

    #[test]
    fn each_seal_uses_a_fresh_nonce() {
        let k = keys();
        let mut e = Entropy::from_seed([9; 32]);
        let h = k.hash(DocumentKind::IdCard, ID);
        let a = k.seal(&h, ID, &mut e).unwrap();
        let b = k.seal(&h, ID, &mut e).unwrap();
        assert_ne!(a, b);
        assert_eq!(k.open(&h, &a).unwrap(), k.open(&h, &b).unwrap());
    }

    #[test]
    fn the_hash_is_stable_keyed_and_kind_separated() {
        let k = keys();
        let h = k.hash(DocumentKind::IdCard, ID);
        assert_eq!(h, k.hash(DocumentKind::IdCard, ID));
        assert_eq!(h.len(), 64);
        assert_ne!(h, k.hash(DocumentKind::ForeignPassport, ID));
        assert_ne!(h, k.hash(DocumentKind::IdCard, "110105194912310021"));
        let other = DocumentKeys::from_base64(SEAL_KEY, HASH_KEY).unwrap();
        assert_ne!(h, other.hash(DocumentKind::IdCard, ID));
        // Not the unkeyed hash, which anyone could compute for every possible number.
        use sha2::Digest;
        assert_ne!(h, hex::encode(Sha256::digest(format!("id_card:{ID}"))));
    }

    #[test]
    fn a_sealed_value_does_not_open_on_another_row_or_under_another_key_or_when_altered() {
        let k = keys();
        let mut e = Entropy::from_seed([9; 32]);
        let doc = k.protect(&id(), &mut e).unwrap();
        let other_row = k.hash(DocumentKind::IdCard, "110101199003070011");
        assert!(k.open(&other_row, &doc.sealed).is_err());

        let other_key = DocumentKeys::from_base64(SEAL_KEY, HASH_KEY).unwrap();
        assert!(other_key.open(&doc.hash, &doc.sealed).is_err());

        let mut raw = B64.decode(&doc.sealed[3..]).unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 1;
        let altered = format!("v1.{}", B64.encode(raw));
        assert!(k.open(&doc.hash, &altered).is_err());
        for bad in ["", "v1.", "v2.AAAA", "v1.!!!", "v1.AAAAAAAAAAAAAAAA"] {
            assert!(k.open(&doc.hash, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn keys_must_have_the_right_size_and_differ() {
        let short = B64.encode([1u8; 16]);
        assert_eq!(
            DocumentKeys::from_base64(&short, SEAL_KEY)
                .err()
                .map(|e| e.0),
            Some("ID_HASH_KEY")
        );
        assert_eq!(
            DocumentKeys::from_base64(HASH_KEY, &short)
                .err()
                .map(|e| e.0),
            Some("ID_SEAL_KEY")
        );
        assert_eq!(
            DocumentKeys::from_base64(HASH_KEY, HASH_KEY)
                .err()
                .map(|e| e.0),
            Some("ID_SEAL_KEY")
        );
        assert!(DocumentKeys::from_base64("not base64", SEAL_KEY).is_err());
    }
}
