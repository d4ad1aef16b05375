//! Backend-independent parts of a metadata-key purge chunk: the batch a store applies (one
//! table, one key, the ids), and removing the key from a stored JSON document,
//! which SQLite does in Rust inside its writer transaction (PostgreSQL does the same in SQL
//! with JSONB `-`; the conformance suite pins that both agree).

use cv_domain::{Timestamp, metadata_schema::MetadataResource};
use serde_json::Value;

use crate::sql::metadata_purge::{MetadataLayout, MetadataTable, metadata_table};

/// A purge chunk as its store applies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurgeBatch {
    /// Where the objects are.
    pub table: MetadataTable,
    /// The key to remove.
    pub key: String,
    /// The objects, in item order.
    pub ids: Vec<String>,
}

impl PurgeBatch {
    /// The batch that removes `key` from the objects `ids` of `resource`.
    pub fn new(resource: MetadataResource, key: String, ids: Vec<String>) -> Self {
        Self { table: metadata_table(resource), key, ids }
    }
}

/// Removes `key` from a stored document: the metadata object itself ([`MetadataLayout::Column`])
/// or a whole object whose `metadata` field holds it ([`MetadataLayout::Body`], whose
/// `updated_at` field then becomes `now`). Other keys keep their values, JSON types and order.
/// Returns whether the key was there (nothing changes when it was not).
pub fn remove_key(doc: &mut Value, layout: MetadataLayout, key: &str, now: Timestamp) -> bool {
    let metadata = match layout {
        MetadataLayout::Column => Some(&mut *doc),
        MetadataLayout::Body { .. } => doc.get_mut("metadata"),
    };
    let removed =
        metadata.and_then(Value::as_object_mut).is_some_and(|m| m.shift_remove(key).is_some());
    if removed && let (MetadataLayout::Body { .. }, Some(body)) = (layout, doc.as_object_mut()) {
        body.insert("updated_at".to_owned(), updated_at(now));
    }
    removed
}

/// `now` as a stored object's JSON `updated_at` (ISO 8601 text, as serde writes it).
pub fn updated_at(now: Timestamp) -> Value {
    Value::String(now.to_string())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn removing_a_key_keeps_the_other_keys_their_types_and_order() {
        let now = Timestamp::from_millis(1_700_000_000_123);
        let mut meta = json!({"z": true, "gone": 1, "a": [1, "x"], "n": null, "f": 1.5});
        assert!(remove_key(&mut meta, MetadataLayout::Column, "gone", now));
        assert_eq!(meta.to_string(), r#"{"z":true,"a":[1,"x"],"n":null,"f":1.5}"#);
        assert!(!remove_key(&mut meta, MetadataLayout::Column, "gone", now));

        let mut body =
            json!({"code": "A", "metadata": {"a.b": 1, "keep": false}, "updated_at": null});
        let layout = MetadataLayout::Body { updated_at_column: true };
        assert!(!remove_key(&mut body, layout, "a", now), "a dotted key is one key");
        assert_eq!(body["updated_at"], Value::Null, "nothing changes without the key");
        assert!(remove_key(&mut body, layout, "a.b", now));
        assert_eq!(
            body,
            json!({"code": "A", "metadata": {"keep": false}, "updated_at": "2023-11-14T22:13:20.123Z"})
        );
    }

    #[test]
    fn a_batch_names_the_resource_table() {
        let ids = vec!["v_1".to_owned(), "v_2".to_owned()];
        let batch = PurgeBatch::new(MetadataResource::Voucher, "k".to_owned(), ids);
        assert_eq!((batch.table.table, batch.key.as_str()), ("vouchers", "k"));
        assert_eq!(batch.ids, ["v_1", "v_2"]);
        let orders = PurgeBatch::new(MetadataResource::Order, "k".to_owned(), Vec::new());
        assert_eq!(orders.table.table, "orders");
    }
}
