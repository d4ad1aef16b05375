//! Voucher code generation from a campaign's or voucher's `code_config` (SPEC.md §4).
//!
//! A [`CodeConfig`] is what clients send: `{length, charset, prefix, postfix, pattern,
//! initial_count}`, every field optional. [`CodeConfig::validate`] checks it and turns it into
//! a [`CodePattern`]: the code as a row of [`Slot`]s, each either a literal character or a
//! random character from a de-duplicated charset. The rules follow Voucherify's open-source
//! generator:
//!
//! - the code is `prefix` + body + `postfix`; `prefix` and `postfix` are literal (a `#` in them
//!   stays a `#`);
//! - the body is `pattern` with every `#` replaced by a random charset character and every
//!   other character kept; without a pattern it is `length` random characters;
//! - a pattern overrides `length` (which is then ignored, whatever its value);
//! - the defaults are length [`DEFAULT_LENGTH`] (8) and the alphanumeric [`DEFAULT_CHARSET`]
//!   `0-9a-zA-Z`;
//! - `initial_count` is Voucherify-internal: accepted and ignored.
//!
//! Randomness must come from a cryptographically secure generator, so codes cannot be guessed
//! from other codes: every generating method takes an `R: rand::CryptoRng`. In production pass
//! `&mut rand::rng()` — in rand 0.9 that is the thread-local `ThreadRng`, a ChaCha12 CSPRNG
//! seeded and periodically reseeded from the operating system (`OsRng`), and it implements
//! `CryptoRng`. Tests use a seeded `rand::rngs::StdRng` (also ChaCha12) for reproducibility.
//!
//! Codes are unique project-wide. This module does no IO: [`CodePattern::generate_unique`]
//! takes a `taken` predicate for the codes that already exist, and [`CodePattern::can_hold`]
//! decides up front whether a pattern has room for a batch, so a too-small space fails with a
//! reason instead of retrying collisions for ever.

use std::collections::HashSet;

use rand::{CryptoRng, Rng};
use serde::{Deserialize, Serialize};

/// The number of random characters when neither `length` nor `pattern` is given.
pub const DEFAULT_LENGTH: u32 = 8;

/// The charset when `charset` is not given: alphanumeric, `0-9a-zA-Z`, in that order.
pub const DEFAULT_CHARSET: &str = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// The most random characters a code may have (`length`, or the `#`s in `pattern`).
pub const MAX_RANDOM_CHARS: u32 = 64;

/// The most characters a whole code (prefix, body and postfix together) may have.
pub const MAX_CODE_CHARS: usize = 255;

/// The character of `pattern` that becomes a random character from the charset.
pub const PLACEHOLDER: char = '#';

/// A sensible `max_attempts_per_code` for [`CodePattern::generate_unique`]. When
/// [`CodePattern::can_hold`] allowed the batch, each attempt finds a free code with
/// probability at least 1/2, so running out of 64 attempts has probability at most 2^-64 per
/// code.
pub const DEFAULT_MAX_ATTEMPTS_PER_CODE: u32 = 64;

/// How generated voucher codes look, as clients send it (`code_config`).
///
/// Every field is optional; see the module docs for the defaults. `initial_count` (internal to
/// Voucherify) is accepted when deserializing and ignored; absent fields are not serialized.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeConfig {
    /// How many random characters the code has; ignored when `pattern` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u32>,
    /// The characters random positions are drawn from; duplicates are dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charset: Option<String>,
    /// Literal text put before every code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// Literal text put after every code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postfix: Option<String>,
    /// The code body: each `#` becomes a random charset character, every other character is
    /// kept as is. Overrides `length`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
}

/// Why a `code_config` cannot be used, or why codes could not be generated from it.
///
/// The texts are user-facing: the API returns them as the `details` of a 400 (or as an
/// action's failure reason).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeConfigError {
    /// `charset` was given but has no characters.
    #[error("code_config.charset must not be empty")]
    EmptyCharset,
    /// `length` (without a pattern) is 0 or above [`MAX_RANDOM_CHARS`].
    #[error("code_config.length must be between 1 and {max} (got {length})")]
    LengthOutOfRange {
        /// The length that was given.
        length: u32,
        /// The largest length allowed.
        max: u32,
    },
    /// `pattern` has no `#`, so every code would be the same.
    #[error(
        "code_config.pattern must contain at least one '#' (each '#' becomes a random character \
         from the charset)"
    )]
    PatternWithoutPlaceholder,
    /// `pattern` has more than [`MAX_RANDOM_CHARS`] `#`s.
    #[error("code_config.pattern must contain at most {max} '#' characters (got {count})")]
    PatternTooManyPlaceholders {
        /// How many `#`s the pattern has.
        count: usize,
        /// The most allowed.
        max: u32,
    },
    /// Prefix, body and postfix together are longer than [`MAX_CODE_CHARS`].
    #[error("codes made from code_config would be {chars} characters long; the maximum is {max}")]
    CodeTooLong {
        /// How long the codes would be, in characters.
        chars: usize,
        /// The longest code allowed.
        max: usize,
    },
    /// The pattern cannot make enough distinct codes for the request.
    #[error(
        "code_config can make only {space} distinct codes, too few for {wanted} more with \
         {existing} already taken; use a longer length or pattern, or a larger charset"
    )]
    SpaceTooSmall {
        /// How many distinct codes the pattern can make (saturating at `u128::MAX`).
        space: u128,
        /// How many of them were already taken.
        existing: u64,
        /// How many more were asked for.
        wanted: u64,
    },
    /// Generation gave up: every attempt for one code collided with a taken or already
    /// generated code.
    #[error(
        "could not find an unused code after {attempts} attempts ({generated} of {wanted} codes \
         generated); code_config's codes are nearly used up, use a longer length or pattern, or \
         a larger charset"
    )]
    Exhausted {
        /// How many codes were generated before giving up.
        generated: usize,
        /// How many codes were asked for.
        wanted: usize,
        /// How many attempts the last code got.
        attempts: u32,
    },
}

/// One position of a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Slot {
    /// This character, always (from the prefix, the postfix or a non-`#` of the pattern).
    Literal(char),
    /// A character drawn uniformly from the pattern's charset.
    Random,
}

/// A validated `code_config`: the code's positions and the charset random positions draw
/// from. Made by [`CodeConfig::validate`]; the [`Default`] is [`CodeConfig::default`]'s
/// pattern (8 alphanumerics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodePattern {
    slots: Vec<Slot>,
    /// The charset in the order given, each character once.
    charset: Vec<char>,
    /// The same characters, for membership tests in constant time.
    members: HashSet<char>,
    random_slots: u32,
}

impl CodeConfig {
    /// Checks the config and applies the defaults: the charset is de-duplicated (first
    /// occurrence kept) and must not be empty; a pattern must contain 1..=[`MAX_RANDOM_CHARS`]
    /// `#`s and overrides `length`; otherwise `length` (default [`DEFAULT_LENGTH`]) must be
    /// 1..=[`MAX_RANDOM_CHARS`]; the whole code must fit in [`MAX_CODE_CHARS`] characters.
    pub fn validate(&self) -> Result<CodePattern, CodeConfigError> {
        // A set, not `Vec::contains`: a charset may hold every Unicode character (over a
        // million), and a quadratic de-duplication of that takes minutes.
        let mut members = HashSet::new();
        let mut charset = Vec::new();
        for c in self.charset.as_deref().unwrap_or(DEFAULT_CHARSET).chars() {
            if members.insert(c) {
                charset.push(c);
            }
        }
        if charset.is_empty() {
            return Err(CodeConfigError::EmptyCharset);
        }

        let mut slots: Vec<Slot> =
            self.prefix.as_deref().unwrap_or_default().chars().map(Slot::Literal).collect();
        let random_slots = match &self.pattern {
            Some(pattern) => {
                let count = pattern.chars().filter(|&c| c == PLACEHOLDER).count();
                if count == 0 {
                    return Err(CodeConfigError::PatternWithoutPlaceholder);
                }
                if count > MAX_RANDOM_CHARS as usize {
                    return Err(CodeConfigError::PatternTooManyPlaceholders {
                        count,
                        max: MAX_RANDOM_CHARS,
                    });
                }
                slots.extend(
                    pattern
                        .chars()
                        .map(|c| if c == PLACEHOLDER { Slot::Random } else { Slot::Literal(c) }),
                );
                count as u32
            }
            None => {
                let length = self.length.unwrap_or(DEFAULT_LENGTH);
                if !(1..=MAX_RANDOM_CHARS).contains(&length) {
                    return Err(CodeConfigError::LengthOutOfRange {
                        length,
                        max: MAX_RANDOM_CHARS,
                    });
                }
                slots.extend((0..length).map(|_| Slot::Random));
                length
            }
        };
        slots.extend(self.postfix.as_deref().unwrap_or_default().chars().map(Slot::Literal));

        if slots.len() > MAX_CODE_CHARS {
            return Err(CodeConfigError::CodeTooLong { chars: slots.len(), max: MAX_CODE_CHARS });
        }
        Ok(CodePattern { slots, charset, members, random_slots })
    }
}

impl Default for CodePattern {
    fn default() -> Self {
        Self {
            slots: vec![Slot::Random; DEFAULT_LENGTH as usize],
            charset: DEFAULT_CHARSET.chars().collect(),
            members: DEFAULT_CHARSET.chars().collect(),
            random_slots: DEFAULT_LENGTH,
        }
    }
}

impl CodePattern {
    /// The code's positions, prefix first, postfix last.
    pub fn slots(&self) -> &[Slot] {
        &self.slots
    }

    /// The de-duplicated charset random positions draw from, in the order given.
    pub fn charset(&self) -> &[char] {
        &self.charset
    }

    /// How many positions are random (at least 1).
    pub fn random_slots(&self) -> u32 {
        self.random_slots
    }

    /// How many characters (not bytes) every code has.
    pub fn code_chars(&self) -> usize {
        self.slots.len()
    }

    /// How many distinct codes the pattern can make: charset size to the power of the random
    /// positions, saturating at `u128::MAX` (62^21 already exceeds it).
    pub fn space(&self) -> u128 {
        (self.charset.len() as u128).saturating_pow(self.random_slots)
    }

    /// Whether `code` is one this pattern could have made: same length, the literals in place,
    /// charset characters in the random positions. Callers can use it to count the existing
    /// codes that share this pattern's space (for [`CodePattern::can_hold`]).
    pub fn matches(&self, code: &str) -> bool {
        let mut chars = code.chars();
        self.slots.iter().all(|slot| match (slot, chars.next()) {
            (Slot::Literal(want), Some(got)) => *want == got,
            (Slot::Random, Some(got)) => self.members.contains(&got),
            (_, None) => false,
        }) && chars.next().is_none()
    }

    /// One random code: literals as they are, each random position an independent, uniform
    /// draw from the charset (`Rng::random_range`, which rejects rather than taking a modulo,
    /// so no character is favoured). Pass `&mut rand::rng()` in production (see the module
    /// docs for why that is a CSPRNG).
    pub fn generate<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> String {
        self.slots
            .iter()
            .map(|slot| match *slot {
                Slot::Literal(c) => c,
                Slot::Random => self.charset[rng.random_range(0..self.charset.len())],
            })
            .collect()
    }

    /// Whether `wanted` more codes fit beside `existing` taken ones without risking a long
    /// collision loop. The rule: `wanted == 0`, or `existing + wanted <= space / 2`.
    ///
    /// Why half: if at most half of the space is ever occupied, every random draw — even for
    /// the batch's last code — hits a free code with probability at least 1/2. The expected
    /// number of draws per code is then at most 2, and `k` draws all colliding has probability
    /// at most 2^-k, so [`CodePattern::generate_unique`] with
    /// [`DEFAULT_MAX_ATTEMPTS_PER_CODE`] practically never gives up, and generating a batch
    /// costs at most about twice as many `taken` look-ups as codes.
    ///
    /// `existing` should count the taken codes this pattern could make ([`CodePattern::matches`]);
    /// passing every code of the project instead is safe, only more conservative.
    pub fn can_hold(&self, existing: u64, wanted: u64) -> bool {
        wanted == 0 || u128::from(existing) + u128::from(wanted) <= self.space() / 2
    }

    /// `count` random codes, distinct among themselves and none of them `taken`.
    ///
    /// A code that collides (is `taken` or was already generated in this batch) is redrawn, up
    /// to `max_attempts_per_code` draws per code (at least one is always made; see
    /// [`DEFAULT_MAX_ATTEMPTS_PER_CODE`]). When a code runs out of attempts the whole call fails
    /// with [`CodeConfigError::Exhausted`]; when `count` exceeds the whole space it fails at
    /// once with [`CodeConfigError::SpaceTooSmall`]. It never loops for ever; check
    /// [`CodePattern::can_hold`] first to fail before drawing anything.
    pub fn generate_unique<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        count: usize,
        taken: impl Fn(&str) -> bool,
        max_attempts_per_code: u32,
    ) -> Result<Vec<String>, CodeConfigError> {
        let space = self.space();
        if count as u128 > space {
            return Err(CodeConfigError::SpaceTooSmall {
                space,
                existing: 0,
                wanted: count as u64,
            });
        }
        let attempts = max_attempts_per_code.max(1);
        let mut seen = HashSet::with_capacity(count.min(1 << 16));
        let mut codes = Vec::with_capacity(count.min(1 << 16));
        while codes.len() < count {
            let mut found = None;
            for _ in 0..attempts {
                let code = self.generate(rng);
                if !seen.contains(&code) && !taken(&code) {
                    found = Some(code);
                    break;
                }
            }
            let Some(code) = found else {
                return Err(CodeConfigError::Exhausted {
                    generated: codes.len(),
                    wanted: count,
                    attempts,
                });
            };
            seen.insert(code.clone());
            codes.push(code);
        }
        Ok(codes)
    }
}

#[cfg(test)]
mod tests;
