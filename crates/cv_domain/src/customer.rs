//! Customers, and the patch that create, update, bulk-update and metadata-update apply.

use serde::{Deserialize, Serialize};

use crate::{CustomerId, Timestamp};

/// Free-form key/value pairs attached to a resource.
pub type Metadata = serde_json::Map<String, serde_json::Value>;

/// A customer's postal address. Every line is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Address {
    /// City.
    pub city: Option<String>,
    /// State or region.
    pub state: Option<String>,
    /// First line.
    pub line_1: Option<String>,
    /// Second line.
    pub line_2: Option<String>,
    /// Country.
    pub country: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
}

/// A customer as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    /// `cust_…`.
    pub id: CustomerId,
    /// The integrator's own id, unique per project when present.
    pub source_id: Option<String>,
    /// First and last name.
    pub name: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// `YYYY-MM-DD`.
    pub birthdate: Option<String>,
    /// Deprecated twin of `birthdate`, kept as given.
    pub birthday: Option<String>,
    /// Postal address, if any.
    pub address: Option<Address>,
    /// Custom attributes.
    pub metadata: Metadata,
    /// When the customer was created.
    pub created_at: Timestamp,
    /// When the customer last changed; absent until the first change.
    pub updated_at: Option<Timestamp>,
}

/// One field of a patch: leave it, clear it (`null`), or set it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub enum Field<T> {
    /// The field was absent: keep the stored value.
    #[default]
    Keep,
    /// The field was `null`: clear it.
    Clear,
    /// The field was given.
    Set(T),
}

impl<T> Field<T> {
    pub(crate) fn apply(self, target: &mut Option<T>) {
        match self {
            Field::Keep => {}
            Field::Clear => *target = None,
            Field::Set(v) => *target = Some(v),
        }
    }

    /// Whether the field was present in the input (set or cleared).
    pub fn is_present(&self) -> bool {
        !matches!(self, Field::Keep)
    }
}

/// The changes one request makes to a customer. Used by create (on a new customer), update,
/// bulk update (upsert by `source_id`) and metadata update (only `metadata` set).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomerPatch {
    /// The integrator's id; the key of bulk upserts.
    pub source_id: Option<String>,
    /// Name.
    pub name: Field<String>,
    /// Description.
    pub description: Field<String>,
    /// Email.
    pub email: Field<String>,
    /// Phone.
    pub phone: Field<String>,
    /// Birthdate, `YYYY-MM-DD` (format checked where the patch is built).
    pub birthdate: Field<String>,
    /// Deprecated birthday.
    pub birthday: Field<String>,
    /// Address: replaced whole, or cleared with `null`.
    pub address: Field<Address>,
    /// Metadata keys to set; keys not listed are kept (merge).
    pub metadata: Option<Metadata>,
}

impl CustomerPatch {
    /// A fresh customer built from this patch.
    pub fn create(self, id: CustomerId, now: Timestamp) -> Customer {
        let mut customer = Customer {
            id,
            source_id: None,
            name: None,
            description: None,
            email: None,
            phone: None,
            birthdate: None,
            birthday: None,
            address: None,
            metadata: Metadata::new(),
            created_at: now,
            updated_at: None,
        };
        self.apply_fields(&mut customer);
        customer
    }

    /// Applies the patch to an existing customer and stamps `updated_at`.
    pub fn apply(self, customer: &mut Customer, now: Timestamp) {
        self.apply_fields(customer);
        customer.updated_at = Some(now);
    }

    /// Whether applying the patch would change no field besides `source_id` (every field
    /// absent, no metadata key).
    pub fn changes_nothing(&self) -> bool {
        [&self.name, &self.description, &self.email, &self.phone, &self.birthdate, &self.birthday]
            .iter()
            .all(|f| !f.is_present())
            && !self.address.is_present()
            && self.metadata.as_ref().is_none_or(Metadata::is_empty)
    }

    fn apply_fields(self, c: &mut Customer) {
        if let Some(source_id) = self.source_id {
            c.source_id = Some(source_id);
        }
        self.name.apply(&mut c.name);
        self.description.apply(&mut c.description);
        self.email.apply(&mut c.email);
        self.phone.apply(&mut c.phone);
        self.birthdate.apply(&mut c.birthdate);
        self.birthday.apply(&mut c.birthday);
        self.address.apply(&mut c.address);
        if let Some(metadata) = self.metadata {
            c.metadata.extend(metadata);
        }
    }
}

/// A customer as a CSV import row describes it: the whole profile. Importing it creates the
/// customer, or replaces every field (metadata included) of the one with the same `source_id`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomerRecord {
    /// The key of the import.
    pub source_id: String,
    /// Name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// `YYYY-MM-DD`.
    pub birthdate: Option<String>,
    /// Address, when any address column was filled.
    pub address: Option<Address>,
    /// Metadata, replacing the stored metadata.
    pub metadata: Metadata,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn meta(v: serde_json::Value) -> Metadata {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn patch_merges_metadata_and_keeps_absent_fields() {
        let now = Timestamp::from_millis(1);
        let mut c = CustomerPatch {
            source_id: Some("s1".into()),
            name: Field::Set("Ann".into()),
            email: Field::Set("ann@example.com".into()),
            metadata: Some(meta(json!({"a": 1, "b": 2}))),
            ..Default::default()
        }
        .create(CustomerId::generate(), now);
        CustomerPatch {
            email: Field::Clear,
            metadata: Some(meta(json!({"b": 3, "c": true}))),
            ..Default::default()
        }
        .apply(&mut c, Timestamp::from_millis(2));
        assert_eq!(c.name.as_deref(), Some("Ann"));
        assert_eq!(c.email, None);
        assert_eq!(c.metadata, meta(json!({"a": 1, "b": 3, "c": true})));
        assert_eq!(c.updated_at, Some(Timestamp::from_millis(2)));
        assert_eq!(c.created_at, now);
    }
}
