//! Identifiers in Voucherify's formats.
//!
//! Action ids are `aa_` + 18 lowercase hex, request ids `v-` + 18 lowercase hex, customer ids
//! `cust_` + 24 alphanumerics. All come from the thread-local CSPRNG, so ids are not guessable
//! across projects.

use std::fmt;

use rand::Rng;
use serde::{Deserialize, Serialize};

const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn random_hex(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len).map(|_| char::from(b"0123456789abcdef"[rng.random_range(0..16)])).collect()
}

fn random_alnum(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len).map(|_| char::from(ALNUM[rng.random_range(0..ALNUM.len())])).collect()
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a stored or received value without checking its format.
            pub fn from_string(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_id!(
    /// An async action's id: `aa_` + 18 lowercase hex.
    ActionId
);
string_id!(
    /// The id of the HTTP request that created something: `v-` + 18 lowercase hex.
    RequestId
);
string_id!(
    /// A customer's id: `cust_` + 24 alphanumerics.
    CustomerId
);
string_id!(
    /// A project (tenant) id: `proj_` + 18 lowercase hex.
    ProjectId
);

impl ActionId {
    /// A new random action id.
    pub fn generate() -> Self {
        Self(format!("aa_{}", random_hex(18)))
    }

    /// Whether `s` has the shape of an action id (used to answer 404 early for junk).
    pub fn is_well_formed(s: &str) -> bool {
        s.strip_prefix("aa_")
            .is_some_and(|hex| hex.len() == 18 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
    }
}

impl RequestId {
    /// A new random API request id.
    pub fn generate() -> Self {
        Self(format!("v-{}", random_hex(18)))
    }
}

impl CustomerId {
    /// A new random customer id.
    pub fn generate() -> Self {
        Self(format!("cust_{}", random_alnum(24)))
    }
}

impl ProjectId {
    /// A new random project id.
    pub fn generate() -> Self {
        Self(format!("proj_{}", random_hex(18)))
    }
}

/// A random secret of `len` alphanumerics, for generated app tokens and ids.
pub fn random_secret(len: usize) -> String {
    random_alnum(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_have_voucherify_shapes() {
        for _ in 0..100 {
            let aa = ActionId::generate();
            assert!(ActionId::is_well_formed(aa.as_str()), "{aa}");
            assert_eq!(aa.as_str().len(), 21);
            let v = RequestId::generate();
            assert!(v.as_str().starts_with("v-") && v.as_str().len() == 20);
            assert!(
                v.as_str()[2..].bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
            );
            let c = CustomerId::generate();
            assert!(c.as_str().starts_with("cust_") && c.as_str().len() == 29);
            assert!(c.as_str()[5..].bytes().all(|b| b.is_ascii_alphanumeric()));
        }
    }

    #[test]
    fn malformed_action_ids_are_recognised() {
        assert!(!ActionId::is_well_formed("aa_123"));
        assert!(!ActionId::is_well_formed("bb_0c5543f00797b6113f"));
        assert!(!ActionId::is_well_formed("aa_0c5543f00797b6113g"));
        assert!(ActionId::is_well_formed("aa_0c5543f00797b6113f"));
    }
}
