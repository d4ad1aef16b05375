//! Products and their SKUs (SPEC.md §4), the patches the API and bulk actions apply, and the
//! rows the two CSV imports describe.
//!
//! Prices are integers in minor units (cents); CSV files give them in major units, which
//! [`cents_from_major_units`] converts (Decision 9).

use serde::{Deserialize, Serialize};

use crate::{Metadata, ProductId, SkuId, Timestamp, customer::Field};

/// A product as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    /// `prod_…`.
    pub id: ProductId,
    /// The integrator's own id, unique per project when present.
    pub source_id: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Unit price in cents.
    pub price: Option<i64>,
    /// The attribute names its SKUs may give values for (`["color", "size"]`).
    pub attributes: Vec<String>,
    /// Image URL.
    pub image_url: Option<String>,
    /// Custom attributes.
    pub metadata: Metadata,
    /// When the product was created.
    pub created_at: Timestamp,
    /// When the product last changed; absent until the first change.
    pub updated_at: Option<Timestamp>,
}

impl Product {
    /// The first key of `attributes` that this product does not define, if any.
    pub fn undefined_attribute<'a>(&self, attributes: &'a Metadata) -> Option<&'a str> {
        attributes.keys().map(String::as_str).find(|key| !self.attributes.iter().any(|a| a == key))
    }
}

/// The changes one request makes to a product. Used by create (upsert by `source_id`),
/// update, bulk update and metadata update (only `metadata` set).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProductPatch {
    /// The integrator's id; the key of bulk upserts.
    pub source_id: Option<String>,
    /// Name.
    pub name: Field<String>,
    /// Price in cents.
    pub price: Field<i64>,
    /// Attribute names, replacing the stored list when given.
    pub attributes: Option<Vec<String>>,
    /// Image URL.
    pub image_url: Field<String>,
    /// Metadata keys to set; keys not listed are kept (merge).
    pub metadata: Option<Metadata>,
}

impl ProductPatch {
    /// A fresh product built from this patch.
    pub fn create(self, id: ProductId, now: Timestamp) -> Product {
        let mut product = Product {
            id,
            source_id: None,
            name: None,
            price: None,
            attributes: Vec::new(),
            image_url: None,
            metadata: Metadata::new(),
            created_at: now,
            updated_at: None,
        };
        self.apply_fields(&mut product);
        product
    }

    /// Applies the patch to an existing product and stamps `updated_at`.
    pub fn apply(self, product: &mut Product, now: Timestamp) {
        self.apply_fields(product);
        product.updated_at = Some(now);
    }

    /// Whether applying the patch would change no field besides `source_id`.
    pub fn changes_nothing(&self) -> bool {
        !self.name.is_present()
            && !self.price.is_present()
            && self.attributes.is_none()
            && !self.image_url.is_present()
            && self.metadata.as_ref().is_none_or(Metadata::is_empty)
    }

    fn apply_fields(self, p: &mut Product) {
        if let Some(source_id) = self.source_id {
            p.source_id = Some(source_id);
        }
        self.name.apply(&mut p.name);
        self.price.apply(&mut p.price);
        if let Some(attributes) = self.attributes {
            p.attributes = attributes;
        }
        self.image_url.apply(&mut p.image_url);
        if let Some(metadata) = self.metadata {
            p.metadata.extend(metadata);
        }
    }
}

/// A product as a CSV import row describes it. Importing it creates the product; for an
/// existing `source_id` only the name changes (Voucherify's documented rule).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProductRecord {
    /// The key of the import, when the row has one.
    pub source_id: Option<String>,
    /// Name (required by the import).
    pub name: String,
    /// Price in cents.
    pub price: Option<i64>,
    /// Attribute names.
    pub attributes: Vec<String>,
    /// Image URL.
    pub image_url: Option<String>,
    /// Metadata.
    pub metadata: Metadata,
}

impl ProductRecord {
    /// A fresh product from this row.
    pub fn create(self, id: ProductId, now: Timestamp) -> Product {
        Product {
            id,
            source_id: self.source_id,
            name: Some(self.name),
            price: self.price,
            attributes: self.attributes,
            image_url: self.image_url,
            metadata: self.metadata,
            created_at: now,
            updated_at: None,
        }
    }

    /// Applies the row to the product with the same `source_id`: the name only.
    pub fn apply(self, product: &mut Product, now: Timestamp) {
        product.name = Some(self.name);
        product.updated_at = Some(now);
    }
}

/// A SKU (a variant of a product) as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sku {
    /// `sku_…`.
    pub id: SkuId,
    /// The integrator's own id, unique per project when present.
    pub source_id: Option<String>,
    /// The parent product.
    pub product_id: ProductId,
    /// The SKU's name.
    pub sku: Option<String>,
    /// Unit price in cents.
    pub price: Option<i64>,
    /// Price currency, e.g. `USD`.
    pub currency: Option<String>,
    /// Values of the parent product's attributes (`{"color": "blue"}`).
    pub attributes: Metadata,
    /// Image URL.
    pub image_url: Option<String>,
    /// Custom attributes.
    pub metadata: Metadata,
    /// When the SKU was created.
    pub created_at: Timestamp,
    /// When the SKU last changed; absent until the first change.
    pub updated_at: Option<Timestamp>,
}

/// The changes a create-SKU request makes (upsert by `source_id` under one product).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SkuPatch {
    /// The integrator's id; the key of the upsert.
    pub source_id: Option<String>,
    /// The SKU's name.
    pub sku: Field<String>,
    /// Price in cents.
    pub price: Field<i64>,
    /// Currency.
    pub currency: Field<String>,
    /// Attribute values, replacing the stored ones when given.
    pub attributes: Option<Metadata>,
    /// Image URL.
    pub image_url: Field<String>,
    /// Metadata keys to set; keys not listed are kept (merge).
    pub metadata: Option<Metadata>,
}

impl SkuPatch {
    /// A fresh SKU of `product` built from this patch.
    pub fn create(self, id: SkuId, product: ProductId, now: Timestamp) -> Sku {
        let mut sku = Sku {
            id,
            source_id: None,
            product_id: product,
            sku: None,
            price: None,
            currency: None,
            attributes: Metadata::new(),
            image_url: None,
            metadata: Metadata::new(),
            created_at: now,
            updated_at: None,
        };
        self.apply_fields(&mut sku);
        sku
    }

    /// Applies the patch to an existing SKU and stamps `updated_at`.
    pub fn apply(self, sku: &mut Sku, now: Timestamp) {
        self.apply_fields(sku);
        sku.updated_at = Some(now);
    }

    /// Whether applying the patch would change no field besides `source_id`.
    pub fn changes_nothing(&self) -> bool {
        !self.sku.is_present()
            && !self.price.is_present()
            && !self.currency.is_present()
            && self.attributes.is_none()
            && !self.image_url.is_present()
            && self.metadata.as_ref().is_none_or(Metadata::is_empty)
    }

    fn apply_fields(self, s: &mut Sku) {
        if let Some(source_id) = self.source_id {
            s.source_id = Some(source_id);
        }
        self.sku.apply(&mut s.sku);
        self.price.apply(&mut s.price);
        self.currency.apply(&mut s.currency);
        if let Some(attributes) = self.attributes {
            s.attributes = attributes;
        }
        self.image_url.apply(&mut s.image_url);
        if let Some(metadata) = self.metadata {
            s.metadata.extend(metadata);
        }
    }
}

/// A SKU as a CSV import row describes it. Importing it creates the SKU under the product
/// whose source_id is `product`; for an existing SKU `source_id` only `sku` and `price`
/// change (Voucherify's documented rule), and only when the row gives them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SkuRecord {
    /// The key of the import.
    pub source_id: String,
    /// The parent product's source_id (or id), as the file's `product_id` column names it.
    pub product: String,
    /// The SKU's name.
    pub sku: Option<String>,
    /// Price in cents.
    pub price: Option<i64>,
    /// Image URL.
    pub image_url: Option<String>,
    /// Attribute values; every key must be one of the product's attributes.
    pub attributes: Metadata,
    /// Metadata.
    pub metadata: Metadata,
}

impl SkuRecord {
    /// A fresh SKU of `product` from this row.
    pub fn create(self, id: SkuId, product: ProductId, now: Timestamp) -> Sku {
        Sku {
            id,
            source_id: Some(self.source_id),
            product_id: product,
            sku: self.sku,
            price: self.price,
            currency: None,
            attributes: self.attributes,
            image_url: self.image_url,
            metadata: self.metadata,
            created_at: now,
            updated_at: None,
        }
    }

    /// Applies the row to the SKU with the same `source_id`: `sku` and `price` only.
    pub fn apply(self, sku: &mut Sku, now: Timestamp) {
        if let Some(name) = self.sku {
            sku.sku = Some(name);
        }
        if let Some(price) = self.price {
            sku.price = Some(price);
        }
        sku.updated_at = Some(now);
    }
}

/// A price written in major units (`21`, `14.5`, `0.99`) as cents (`2100`, `1450`, `99`).
/// Plain decimals are converted exactly, rounding half away from zero past two fraction
/// digits; other number forms (`1e3`) go through floating point. `None` for text that is not
/// a finite number or does not fit.
pub fn cents_from_major_units(text: &str) -> Option<i64> {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let plain = !(whole.is_empty() && fraction.is_empty())
        && whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit());
    if !plain {
        let value: f64 = text.parse().ok()?;
        let cents = (value * 100.0).round();
        return (value.is_finite() && cents.abs() < 9.0e18).then_some(cents as i64);
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let digit = |i: usize| i64::from(fraction.as_bytes().get(i).map_or(0, |b| b - b'0'));
    let mut cents = whole.checked_mul(100)?.checked_add(digit(0) * 10 + digit(1))?;
    if digit(2) >= 5 {
        cents = cents.checked_add(1)?;
    }
    Some(if negative { -cents } else { cents })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn meta(v: serde_json::Value) -> Metadata {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn major_units_become_cents() {
        let cases = [
            ("21", Some(2100)),
            ("14.5", Some(1450)),
            ("0.99", Some(99)),
            (" 13 ", Some(1300)),
            (".5", Some(50)),
            ("7.", Some(700)),
            ("1.005", Some(101)),
            ("-2.25", Some(-225)),
            ("1e3", Some(100_000)),
            ("abc", None),
            ("", None),
            (".", None),
            ("NaN", None),
            ("inf", None),
            ("12,5", None),
            ("99999999999999999999", None),
        ];
        for (text, cents) in cases {
            assert_eq!(cents_from_major_units(text), cents, "{text:?}");
        }
    }

    #[test]
    fn product_patch_merges_metadata_and_replaces_attributes() {
        let mut p = ProductPatch {
            source_id: Some("p1".into()),
            name: Field::Set("Shirt".into()),
            price: Field::Set(1000),
            attributes: Some(vec!["color".into()]),
            metadata: Some(meta(json!({"a": 1}))),
            ..Default::default()
        }
        .create(ProductId::generate(), Timestamp::from_millis(1));
        ProductPatch {
            price: Field::Clear,
            attributes: Some(vec!["size".into()]),
            metadata: Some(meta(json!({"b": 2}))),
            ..Default::default()
        }
        .apply(&mut p, Timestamp::from_millis(2));
        assert_eq!((p.name.as_deref(), p.price), (Some("Shirt"), None));
        assert_eq!(p.attributes, vec!["size".to_owned()]);
        assert_eq!(p.metadata, meta(json!({"a": 1, "b": 2})));
        assert_eq!(p.updated_at, Some(Timestamp::from_millis(2)));
    }

    #[test]
    fn import_rows_of_existing_records_change_only_what_voucherify_allows() {
        let mut p = ProductRecord {
            source_id: Some("p1".into()),
            name: "Old".into(),
            price: Some(100),
            attributes: vec!["color".into()],
            ..Default::default()
        }
        .create(ProductId::generate(), Timestamp::from_millis(1));
        ProductRecord { name: "New".into(), price: Some(999), ..Default::default() }
            .apply(&mut p, Timestamp::from_millis(2));
        assert_eq!((p.name.as_deref(), p.price), (Some("New"), Some(100)));
        assert_eq!(p.undefined_attribute(&meta(json!({"color": "red"}))), None);
        assert_eq!(
            p.undefined_attribute(&meta(json!({"color": "red", "size": "S"}))),
            Some("size")
        );

        let record = SkuRecord {
            source_id: "s1".into(),
            product: "p1".into(),
            sku: Some("Red".into()),
            price: Some(500),
            image_url: Some("https://x/1.png".into()),
            attributes: meta(json!({"color": "red"})),
            metadata: meta(json!({"m": "1"})),
        };
        let mut sku = record.create(SkuId::generate(), p.id.clone(), Timestamp::from_millis(3));
        SkuRecord {
            source_id: "s1".into(),
            sku: Some("Crimson".into()),
            image_url: Some("https://x/2.png".into()),
            ..Default::default()
        }
        .apply(&mut sku, Timestamp::from_millis(4));
        assert_eq!((sku.sku.as_deref(), sku.price), (Some("Crimson"), Some(500)));
        assert_eq!(sku.image_url.as_deref(), Some("https://x/1.png"));
        assert_eq!(sku.metadata, meta(json!({"m": "1"})));
    }
}
