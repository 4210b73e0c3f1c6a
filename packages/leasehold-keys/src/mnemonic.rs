//! BIP-39 mnemonic phrases (English word list).

use std::fmt;
use std::str::FromStr;

use zeroize::Zeroizing;

use crate::error::KeyError;
use crate::key::SigningKey;

/// Word counts BIP-39 allows.
const WORD_COUNTS: [usize; 5] = [12, 15, 18, 21, 24];

/// A checksum-validated BIP-39 mnemonic phrase (English word list).
///
/// It deliberately has no `Display`: use [`Mnemonic::phrase`] when the words really must be shown
/// (e.g. once, when a key is created). `Debug` prints only the word count. The words are zeroed
/// when the value is dropped.
#[derive(Clone)]
pub struct Mnemonic(bip39::Mnemonic);

impl Mnemonic {
    /// Parses a phrase: words separated by whitespace, lower case, from the English BIP-39 list,
    /// with a valid checksum. The phrase is NFKD-normalised first, as BIP-39 requires.
    pub fn parse(phrase: &str) -> Result<Self, KeyError> {
        Ok(Self(bip39::Mnemonic::parse_in(bip39::Language::English, phrase)?))
    }

    /// Generates a new phrase of `words` words (12, 15, 18, 21 or 24; 24 gives 256 bits of
    /// entropy) from the operating system's random number generator.
    pub fn generate(words: usize) -> Result<Self, KeyError> {
        if !WORD_COUNTS.contains(&words) {
            return Err(KeyError::MnemonicWordCount(words));
        }
        // 32 bits of entropy per 3 words: 12 words -> 16 bytes, 24 words -> 32 bytes.
        let mut entropy = Zeroizing::new([0u8; 32]);
        let entropy = &mut entropy[..words / 3 * 4];
        getrandom::getrandom(entropy).map_err(|e| KeyError::Randomness(e.to_string()))?;
        Ok(Self(bip39::Mnemonic::from_entropy_in(bip39::Language::English, entropy)?))
    }

    /// The phrase, words separated by single spaces. Handle with care: this is the secret.
    pub fn phrase(&self) -> Zeroizing<String> {
        Zeroizing::new(self.0.to_string())
    }

    /// Number of words (12, 15, 18, 21 or 24).
    pub fn word_count(&self) -> usize {
        self.0.word_count()
    }

    /// The 64-byte BIP-39 seed for `passphrase` (the "25th word"; empty for none).
    pub fn to_seed(&self, passphrase: &str) -> Zeroizing<[u8; 64]> {
        Zeroizing::new(self.0.to_seed(passphrase))
    }

    /// Derives the account key at `m/44'/118'/0'/0/{account_index}`.
    pub fn signing_key(&self, passphrase: &str, account_index: u32) -> Result<SigningKey, KeyError> {
        SigningKey::from_seed(&self.to_seed(passphrase), account_index)
    }
}

impl FromStr for Mnemonic {
    type Err = KeyError;

    fn from_str(phrase: &str) -> Result<Self, Self::Err> {
        Self::parse(phrase)
    }
}

impl fmt::Debug for Mnemonic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mnemonic(<redacted, {} words>)", self.word_count())
    }
}

/// Generates a new mnemonic of `words` words from OS randomness; see [`Mnemonic::generate`].
pub fn generate_mnemonic(words: usize) -> Result<Mnemonic, KeyError> {
    Mnemonic::generate(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_phrases_have_the_requested_length_and_round_trip() {
        for words in WORD_COUNTS {
            let mnemonic = generate_mnemonic(words).unwrap();
            assert_eq!(mnemonic.word_count(), words);
            let phrase = mnemonic.phrase();
            assert_eq!(phrase.split(' ').count(), words);
            let reparsed = Mnemonic::parse(&phrase).unwrap();
            assert_eq!(*reparsed.to_seed(""), *mnemonic.to_seed(""));
        }
    }

    #[test]
    fn two_generated_phrases_differ() {
        assert_ne!(*generate_mnemonic(24).unwrap().phrase(), *generate_mnemonic(24).unwrap().phrase());
    }

    #[test]
    fn unsupported_word_counts_are_refused() {
        for words in [0, 11, 13, 23, 25, 48] {
            assert_eq!(generate_mnemonic(words).unwrap_err(), KeyError::MnemonicWordCount(words));
        }
    }

    #[test]
    fn debug_does_not_print_the_words() {
        let mnemonic = generate_mnemonic(12).unwrap();
        let debug = format!("{mnemonic:?}");
        assert_eq!(debug, "Mnemonic(<redacted, 12 words>)");
        assert!(!debug.contains(mnemonic.phrase().as_str()));
    }
}
