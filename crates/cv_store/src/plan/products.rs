//! Backend-independent planning of product and SKU writes: bulk and metadata updates (upsert
//! by source_id, metadata merged), the product CSV import (create, or rename an existing
//! source_id) and the SKU CSV import (create under an existing product, or change `sku` and
//! `price` of an existing SKU). A store reads the rows a chunk names, plans here, and writes
//! the planned rows, so SQLite and PostgreSQL decide every outcome the same way.

use std::collections::{HashMap, HashSet};

use cv_domain::{
    Product, ProductId, ProductPatch, ProductRecord, Sku, SkuId, SkuPatch, SkuRecord, Timestamp,
};

use crate::{Item, ItemError, ProductWrites, ReportLine, StoreError};

/// What a chunk of product items turns into.
#[derive(Debug, Default)]
pub struct ProductPlan {
    /// Rows to write (insert or update by id), at most one per product.
    pub rows: Vec<Product>,
    /// One report line per item, in item order.
    pub lines: Vec<ReportLine>,
}

/// What a chunk of SKU import rows turns into.
#[derive(Debug, Default)]
pub struct SkuPlan {
    /// Rows to write (insert or update by id), at most one per SKU.
    pub rows: Vec<Sku>,
    /// One report line per item, in item order.
    pub lines: Vec<ReportLine>,
    /// Rows the action sent as valid that planning refused (unknown product, undefined
    /// attribute, a SKU of another product): the store moves them from done to failed.
    pub rejected: i64,
}

fn sorted(mut keys: Vec<String>) -> Vec<String> {
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// A product write: a merge (bulk and metadata updates) or an import row.
trait ProductWrite {
    fn source_id(&self) -> Option<&String>;
    fn create(self, id: ProductId, now: Timestamp) -> Product;
    fn apply(self, product: &mut Product, now: Timestamp);
}

impl ProductWrite for ProductPatch {
    fn source_id(&self) -> Option<&String> {
        self.source_id.as_ref()
    }
    fn create(self, id: ProductId, now: Timestamp) -> Product {
        ProductPatch::create(self, id, now)
    }
    fn apply(self, product: &mut Product, now: Timestamp) {
        ProductPatch::apply(self, product, now)
    }
}

impl ProductWrite for ProductRecord {
    fn source_id(&self) -> Option<&String> {
        self.source_id.as_ref()
    }
    fn create(self, id: ProductId, now: Timestamp) -> Product {
        ProductRecord::create(self, id, now)
    }
    fn apply(self, product: &mut Product, now: Timestamp) {
        ProductRecord::apply(self, product, now)
    }
}

/// The product source_ids a product chunk needs to look up before planning.
pub fn product_keys(writes: &ProductWrites) -> Vec<String> {
    fn keys<W: ProductWrite>(items: &[Item<W>]) -> Vec<String> {
        items
            .iter()
            .filter_map(|item| match item {
                Item::Write(w) => w.source_id().cloned(),
                Item::Failed { .. } => None,
            })
            .collect()
    }
    sorted(match writes {
        ProductWrites::Upserts(items) => keys(items),
        ProductWrites::Import(items) => keys(items),
    })
}

/// The product source_ids and the SKU source_ids a SKU import chunk needs to look up.
pub fn sku_keys(items: &[Item<SkuRecord>]) -> (Vec<String>, Vec<String>) {
    let (products, skus) = items
        .iter()
        .filter_map(|item| match item {
            Item::Write(record) => Some((record.product.clone(), record.source_id.clone())),
            Item::Failed { .. } => None,
        })
        .unzip();
    (sorted(products), sorted(skus))
}

fn failed_line(line: u64, key: String, error: ItemError) -> ReportLine {
    ReportLine { line, key, found: false, updated: false, error: Some(error) }
}

fn done_line(line: u64, key: String, found: bool) -> ReportLine {
    ReportLine { line, key, found, updated: true, error: None }
}

/// Applies product patches or import rows (numbered from `first_line`) on top of the
/// `existing` products, keyed by source_id. Items apply in order, so a source_id repeated
/// within the chunk sees the earlier item's result. An item without a source_id always
/// creates a product.
pub fn plan_products(
    existing: Vec<Product>,
    writes: ProductWrites,
    first_line: u64,
    now: Timestamp,
) -> ProductPlan {
    match writes {
        ProductWrites::Upserts(items) => plan_product_items(existing, items, first_line, now),
        ProductWrites::Import(items) => plan_product_items(existing, items, first_line, now),
    }
}

fn plan_product_items<W: ProductWrite>(
    existing: Vec<Product>,
    items: Vec<Item<W>>,
    first_line: u64,
    now: Timestamp,
) -> ProductPlan {
    let mut by_source: HashMap<String, Product> =
        existing.into_iter().filter_map(|p| p.source_id.clone().map(|s| (s, p))).collect();
    let mut order: Vec<String> = Vec::new();
    let mut touched: HashSet<String> = HashSet::new();
    let mut unkeyed: Vec<Product> = Vec::new();
    let mut plan = ProductPlan::default();
    for (offset, item) in items.into_iter().enumerate() {
        let line = first_line + offset as u64;
        let write = match item {
            Item::Failed { key, error } => {
                plan.lines.push(failed_line(line, key, error));
                continue;
            }
            Item::Write(write) => write,
        };
        let (key, found) = match write.source_id().cloned() {
            None => {
                unkeyed.push(write.create(ProductId::generate(), now));
                (String::new(), false)
            }
            Some(key) => {
                let found = match by_source.get_mut(&key) {
                    Some(product) => {
                        write.apply(product, now);
                        true
                    }
                    None => {
                        by_source.insert(key.clone(), write.create(ProductId::generate(), now));
                        false
                    }
                };
                (key, found)
            }
        };
        if !key.is_empty() && touched.insert(key.clone()) {
            order.push(key.clone());
        }
        plan.lines.push(done_line(line, key, found));
    }
    plan.rows = order.into_iter().filter_map(|k| by_source.remove(&k)).collect();
    plan.rows.extend(unkeyed);
    plan
}

fn row_error(key: &str, message: &str, details: String) -> ItemError {
    ItemError { message: message.to_owned(), details, key: key.to_owned() }
}

/// The product a SKU import row belongs to, or why the row cannot be applied: the product
/// does not exist, it does not define one of the row's attributes, or the row's SKU belongs to
/// another product.
fn check<'a>(
    record: &SkuRecord,
    product: Option<&'a Product>,
    skus: &HashMap<String, Sku>,
) -> Result<&'a Product, ItemError> {
    let Some(product) = product else {
        return Err(row_error(
            "not_found",
            "Resource not found",
            format!("product_id: Cannot find product with source_id '{}'", record.product),
        ));
    };
    if let Some(attribute) = product.undefined_attribute(&record.attributes) {
        let defined = if product.attributes.is_empty() {
            "none".to_owned()
        } else {
            product.attributes.join(",")
        };
        return Err(row_error(
            "invalid_row",
            "Invalid row",
            format!(
                "attributes: '{attribute}' is not an attribute of product '{}' (its \
                 attributes: {defined})",
                record.product
            ),
        ));
    }
    if let Some(sku) = skus.get(&record.source_id)
        && sku.product_id != product.id
    {
        return Err(sku_in_use(&record.source_id, &sku.product_id));
    }
    Ok(product)
}

/// The failure of a SKU source_id that already belongs to another product.
pub fn sku_in_use(source_id: &str, product: &ProductId) -> ItemError {
    row_error(
        "resource_in_use",
        "Resource in use",
        format!("Resource sku with id {source_id} is in use by products with ids [{product}]"),
    )
}

/// Applies SKU import rows (numbered from `first_line`) given the `products` they name (by
/// source_id) and the `existing` SKUs with their source_ids. A row creates its SKU under the
/// product, or changes `sku` and `price` of the SKU it names when that SKU belongs to the
/// same product. Rows apply in order, so a repeated source_id updates the earlier row's SKU.
pub fn plan_skus(
    products: Vec<Product>,
    existing: Vec<Sku>,
    items: Vec<Item<SkuRecord>>,
    first_line: u64,
    now: Timestamp,
) -> SkuPlan {
    let products: HashMap<String, Product> =
        products.into_iter().filter_map(|p| p.source_id.clone().map(|s| (s, p))).collect();
    let mut by_source: HashMap<String, Sku> =
        existing.into_iter().filter_map(|s| s.source_id.clone().map(|k| (k, s))).collect();
    let mut order: Vec<String> = Vec::new();
    let mut touched: HashSet<String> = HashSet::new();
    let mut plan = SkuPlan::default();
    for (offset, item) in items.into_iter().enumerate() {
        let line = first_line + offset as u64;
        let record = match item {
            Item::Write(record) => record,
            Item::Failed { key, error } => {
                plan.lines.push(failed_line(line, key, error));
                continue;
            }
        };
        let key = record.source_id.clone();
        let product = match check(&record, products.get(&record.product), &by_source) {
            Ok(product) => product,
            Err(error) => {
                plan.rejected += 1;
                plan.lines.push(failed_line(line, key, error));
                continue;
            }
        };
        let found = match by_source.get_mut(&key) {
            Some(sku) => {
                record.apply(sku, now);
                true
            }
            None => {
                let sku = record.create(SkuId::generate(), product.id.clone(), now);
                by_source.insert(key.clone(), sku);
                false
            }
        };
        if touched.insert(key.clone()) {
            order.push(key.clone());
        }
        plan.lines.push(done_line(line, key, found));
    }
    plan.rows = order.into_iter().filter_map(|k| by_source.remove(&k)).collect();
    plan
}

/// The SKU a create-SKU request leaves: `existing` (the SKU with the patch's source_id, if
/// any) updated, or a new SKU of `product`. A source_id that belongs to another product's SKU
/// is a [`StoreError::Conflict`].
pub fn plan_sku_upsert(
    existing: Option<Sku>,
    product: &ProductId,
    patch: SkuPatch,
    now: Timestamp,
) -> Result<Sku, StoreError> {
    match existing {
        Some(sku) if &sku.product_id != product => Err(StoreError::Conflict {
            constraint: sku_in_use(sku.source_id.as_deref().unwrap_or_default(), &sku.product_id)
                .details,
        }),
        Some(mut sku) => {
            patch.apply(&mut sku, now);
            Ok(sku)
        }
        None => Ok(patch.create(SkuId::generate(), product.clone(), now)),
    }
}
