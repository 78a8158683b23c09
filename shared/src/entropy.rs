//! Randomness as a value passed in. This crate never asks the system for random bytes: the
//! Workers adapter seeds an [`Entropy`] from the runtime's CSPRNG once per request, and tests seed
//! it with a constant so ids, tokens and nonces are reproducible.

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

/// A ChaCha20 stream: from a secret 32-byte seed its output is as unpredictable as the seed.
pub struct Entropy(ChaCha20Rng);

impl Entropy {
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Entropy(ChaCha20Rng::from_seed(seed))
    }

    pub fn fill(&mut self, buf: &mut [u8]) {
        self.0.fill_bytes(buf);
    }

    pub fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        self.fill(&mut out);
        out
    }

    /// An opaque identifier: `prefix` and 128 random bits in hex, e.g. `u_3f…`. The prefix says
    /// what kind of id it is when one turns up in a log line or a support ticket.
    pub fn id(&mut self, prefix: &str) -> String {
        format!("{prefix}_{}", hex::encode(self.bytes::<16>()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_stream_and_another_seed_another() {
        let mut a = Entropy::from_seed([7; 32]);
        let mut b = Entropy::from_seed([7; 32]);
        let mut c = Entropy::from_seed([8; 32]);
        let (x, y, z) = (a.bytes::<32>(), b.bytes::<32>(), c.bytes::<32>());
        assert_eq!(x, y);
        assert_ne!(x, z);
        assert_ne!(a.bytes::<32>(), x, "the stream moves on");
    }

    #[test]
    fn ids_carry_their_prefix_and_128_bits() {
        let mut e = Entropy::from_seed([1; 32]);
        let id = e.id("u");
        assert!(id.starts_with("u_"), "{id}");
        assert_eq!(id.len(), 2 + 32);
        assert_ne!(e.id("u"), id);
    }
}
