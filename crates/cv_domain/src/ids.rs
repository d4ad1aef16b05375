//! Identifiers in Voucherify's formats.
//!
//! Action ids are `aa_` + 18 lowercase hex, request ids `v-` + 18 lowercase hex, customer ids
//! `cust_` + 24 alphanumerics, product ids `prod_`, SKU ids `sku_` and order ids `ord_` + 18
//! lowercase hex. All
//! come from the thread-local CSPRNG, so ids are not guessable across projects.

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
string_id!(
    /// A product's id: `prod_` + 18 lowercase hex.
    ProductId
);
string_id!(
    /// A SKU's id: `sku_` + 18 lowercase hex.
    SkuId
);
string_id!(
    /// A voucher's id: `v_` + 32 alphanumerics.
    VoucherId
);
string_id!(
    /// An order's id: `ord_` + 18 lowercase hex.
    OrderId
);
string_id!(
    /// A webhook endpoint's id: `wh_` + 24 alphanumerics (Voucherify's webhook configurations).
    WebhookId
);
string_id!(
    /// One event's delivery to one webhook endpoint: `whs_` + 18 lowercase hex (Voucherify's
    /// "sendout" ids). The same across every attempt, so receivers can drop repeats.
    DeliveryId
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
    /// A new customer id: 8 base62 digits of the current millisecond, then 16 random
    /// alphanumerics. Ids made later sort later, so bulk inserts append to the id index
    /// instead of writing to a random page of it per row; they are still unguessable.
    pub fn generate() -> Self {
        Self(format!("cust_{}{}", time_prefix(crate::Timestamp::now()), random_alnum(16)))
    }
}

/// A millisecond timestamp as 8 base62 digits, in the order ASCII sorts them.
fn time_prefix(at: crate::Timestamp) -> String {
    let mut ms = at.as_millis().max(0) as u64;
    let mut digits = [b'0'; 8];
    for digit in digits.iter_mut().rev() {
        *digit = ALNUM[(ms % 62) as usize];
        ms /= 62;
    }
    String::from_utf8_lossy(&digits).into_owned()
}

impl ProjectId {
    /// A new random project id.
    pub fn generate() -> Self {
        Self(format!("proj_{}", random_hex(18)))
    }
}

impl ProductId {
    /// A new random product id.
    pub fn generate() -> Self {
        Self(format!("prod_{}", random_hex(18)))
    }
}

impl SkuId {
    /// A new random SKU id.
    pub fn generate() -> Self {
        Self(format!("sku_{}", random_hex(18)))
    }
}

impl OrderId {
    /// A new random order id.
    pub fn generate() -> Self {
        Self(format!("ord_{}", random_hex(18)))
    }
}

impl VoucherId {
    /// A new random voucher id.
    pub fn generate() -> Self {
        Self(format!("v_{}", random_alnum(32)))
    }
}

impl WebhookId {
    /// A new random webhook endpoint id.
    pub fn generate() -> Self {
        Self(format!("wh_{}", random_alnum(24)))
    }

    /// Whether `s` has the shape of a webhook id (used to answer 404 early for junk).
    pub fn is_well_formed(s: &str) -> bool {
        s.strip_prefix("wh_")
            .is_some_and(|rest| rest.len() == 24 && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
    }
}

impl DeliveryId {
    /// A new random delivery id.
    pub fn generate() -> Self {
        Self(format!("whs_{}", random_hex(18)))
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
    fn product_and_sku_ids_are_prefixed_lowercase_hex() {
        let hex18 = |s: &str| {
            s.len() == 18 && s.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        };
        for _ in 0..100 {
            let p = ProductId::generate();
            assert!(p.as_str().strip_prefix("prod_").is_some_and(hex18), "{p}");
            let s = SkuId::generate();
            assert!(s.as_str().strip_prefix("sku_").is_some_and(hex18), "{s}");
            let o = OrderId::generate();
            assert!(o.as_str().strip_prefix("ord_").is_some_and(hex18), "{o}");
            let d = DeliveryId::generate();
            assert!(d.as_str().strip_prefix("whs_").is_some_and(hex18), "{d}");
            let w = WebhookId::generate();
            assert!(WebhookId::is_well_formed(w.as_str()), "{w}");
        }
    }

    #[test]
    fn customer_ids_sort_by_creation_time() {
        let earlier = time_prefix(crate::Timestamp::from_millis(1_700_000_000_000));
        let later = time_prefix(crate::Timestamp::from_millis(1_700_000_000_001));
        let much_later = time_prefix(crate::Timestamp::from_millis(4_102_444_800_000));
        assert!(earlier < later && later < much_later, "{earlier} {later} {much_later}");
        assert_eq!(earlier.len(), 8);
    }

    #[test]
    fn malformed_action_ids_are_recognised() {
        assert!(!ActionId::is_well_formed("aa_123"));
        assert!(!ActionId::is_well_formed("bb_0c5543f00797b6113f"));
        assert!(!ActionId::is_well_formed("aa_0c5543f00797b6113g"));
        assert!(ActionId::is_well_formed("aa_0c5543f00797b6113f"));
        assert!(!WebhookId::is_well_formed("wh_short"));
        assert!(!WebhookId::is_well_formed("wh_ekFHVL6lqC4lDuIFxpETSGa-"));
        assert!(WebhookId::is_well_formed("wh_ekFHVL6lqC4lDuIFxpETSGa3"));
    }
}
