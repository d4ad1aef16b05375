//! Backend-independent planning of an `ORDERS.IMPORT` chunk. A store reads every row the
//! chunk names ([`order_keys`]: customers, products, SKUs and orders, by id and by source_id,
//! plus the products of the SKUs it found), plans here, and writes the planned rows in the
//! chunk's transaction.
//!
//! Each order is all or nothing: its customer and referrer are found by id or upserted by
//! source_id (given fields merged), its items' products and SKUs likewise, then the order is
//! created, or replaces the order with its id or source_id. The changes of one order are
//! staged apart from the chunk's and kept only when the whole order succeeds, so an order
//! that fails (an unknown `product_id`, `sku_id`, customer or order id, a SKU of another
//! product, a new SKU without a product) leaves nothing behind — not even the customer it
//! would have created.

use std::collections::{HashMap, HashSet};

use cv_domain::{
    Customer, CustomerId, Order, OrderId, OrderRecord, Product, ProductId, ProductPatch, Sku,
    SkuId, SkuPatch, Timestamp,
    order::{CustomerRef, OrderItemRecord, Reference},
};

use super::products::sku_in_use;
use crate::{Item, ItemError, ReportLine};

/// Every key an order chunk names, sorted and without repeats.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct OrderKeys {
    /// Customer ids (customers and referrers named by id).
    pub customer_ids: Vec<String>,
    /// Customer source_ids (customers and referrers upserted).
    pub customer_sources: Vec<String>,
    /// Product ids (`product_id`, `product.id`).
    pub product_ids: Vec<String>,
    /// Product source_ids.
    pub product_sources: Vec<String>,
    /// SKU ids (`sku_id`, `sku.id`).
    pub sku_ids: Vec<String>,
    /// SKU source_ids.
    pub sku_sources: Vec<String>,
    /// Order ids of re-imported orders.
    pub order_ids: Vec<String>,
    /// Order source_ids.
    pub order_sources: Vec<String>,
}

impl OrderKeys {
    /// Adds the products of `skus` (read first) to the product ids to read, so that an item
    /// linked to an existing SKU shows its product.
    pub fn add_sku_products(&mut self, skus: &[Sku]) {
        self.product_ids.extend(skus.iter().map(|s| s.product_id.to_string()));
        tidy(&mut self.product_ids);
    }
}

fn tidy(keys: &mut Vec<String>) {
    keys.sort_unstable();
    keys.dedup();
}

fn push(ids: &mut Vec<String>, sources: &mut Vec<String>, reference: Option<Reference>) {
    match reference {
        Some(Reference::Id(id)) => ids.push(id),
        Some(Reference::Source(source)) => sources.push(source),
        None => {}
    }
}

/// The keys of the rows an order chunk reads before planning.
pub fn order_keys(items: &[Item<OrderRecord>]) -> OrderKeys {
    let mut k = OrderKeys::default();
    for item in items {
        let Item::Write(order) = item else { continue };
        k.order_ids.extend(order.id.clone());
        k.order_sources.extend(order.source_id.clone());
        for customer in [&order.customer, &order.referrer].into_iter().flatten() {
            push(&mut k.customer_ids, &mut k.customer_sources, customer.reference());
        }
        for line in &order.items {
            push(&mut k.product_ids, &mut k.product_sources, line.product_ref());
            push(&mut k.sku_ids, &mut k.sku_sources, line.sku_ref());
        }
    }
    for keys in [
        &mut k.customer_ids,
        &mut k.customer_sources,
        &mut k.product_ids,
        &mut k.product_sources,
        &mut k.sku_ids,
        &mut k.sku_sources,
        &mut k.order_ids,
        &mut k.order_sources,
    ] {
        tidy(keys);
    }
    k
}

/// The stored rows an order chunk names (whatever [`order_keys`] found).
#[derive(Debug, Default)]
pub struct OrderRows {
    /// Customers by id or source_id.
    pub customers: Vec<Customer>,
    /// Products by id or source_id, and the products of `skus`.
    pub products: Vec<Product>,
    /// SKUs by id or source_id.
    pub skus: Vec<Sku>,
    /// Orders by id or source_id.
    pub orders: Vec<Order>,
}

/// What an order chunk turns into.
#[derive(Debug, Default)]
pub struct OrderPlan {
    /// Customers to write (insert or update by id).
    pub customers: Vec<Customer>,
    /// Products to write, before the SKUs.
    pub products: Vec<Product>,
    /// SKUs to write, before the orders.
    pub skus: Vec<Sku>,
    /// Orders to write.
    pub orders: Vec<Order>,
    /// One report line per item, in item order.
    pub lines: Vec<ReportLine>,
    /// Orders the action sent as valid that planning refused: the store moves them from
    /// done to failed.
    pub rejected: i64,
}

/// A row with an id and maybe a source_id.
trait Keyed: Clone {
    fn id(&self) -> &str;
    fn source(&self) -> Option<&str>;
}

impl Keyed for Customer {
    fn id(&self) -> &str {
        self.id.as_str()
    }
    fn source(&self) -> Option<&str> {
        self.source_id.as_deref()
    }
}

impl Keyed for Product {
    fn id(&self) -> &str {
        self.id.as_str()
    }
    fn source(&self) -> Option<&str> {
        self.source_id.as_deref()
    }
}

impl Keyed for Sku {
    fn id(&self) -> &str {
        self.id.as_str()
    }
    fn source(&self) -> Option<&str> {
        self.source_id.as_deref()
    }
}

impl Keyed for Order {
    fn id(&self) -> &str {
        self.id.as_str()
    }
    fn source(&self) -> Option<&str> {
        self.source_id.as_deref()
    }
}

/// The rows of one kind: what the chunk has so far (committed orders' changes) and what the
/// order being planned staged on top.
struct Table<T: Keyed> {
    rows: HashMap<String, T>,
    sources: HashMap<String, String>,
    written: Vec<String>,
    written_set: HashSet<String>,
    staged: HashMap<String, T>,
    staged_order: Vec<String>,
    staged_sources: HashMap<String, String>,
}

impl<T: Keyed> Table<T> {
    fn new(rows: Vec<T>) -> Self {
        let sources =
            rows.iter().filter_map(|r| Some((r.source()?.to_owned(), r.id().to_owned()))).collect();
        Self {
            rows: rows.into_iter().map(|r| (r.id().to_owned(), r)).collect(),
            sources,
            written: Vec::new(),
            written_set: HashSet::new(),
            staged: HashMap::new(),
            staged_order: Vec::new(),
            staged_sources: HashMap::new(),
        }
    }

    fn get(&self, id: &str) -> Option<&T> {
        self.staged.get(id).or_else(|| self.rows.get(id))
    }

    /// The id of the row with this source_id (a row re-keyed since is not it any more).
    fn id_by_source(&self, source: &str) -> Option<String> {
        let id = self.staged_sources.get(source).or_else(|| self.sources.get(source))?;
        self.get(id).filter(|row| row.source() == Some(source)).map(|row| row.id().to_owned())
    }

    fn find(&self, reference: &Reference) -> Option<&T> {
        match reference {
            Reference::Id(id) => self.get(id),
            Reference::Source(source) => self.get(&self.id_by_source(source)?),
        }
    }

    fn stage(&mut self, row: T) {
        let id = row.id().to_owned();
        if let Some(source) = row.source() {
            self.staged_sources.insert(source.to_owned(), id.clone());
        }
        if !self.staged.contains_key(&id) {
            self.staged_order.push(id.clone());
        }
        self.staged.insert(id, row);
    }

    fn commit(&mut self) {
        for id in self.staged_order.drain(..) {
            let Some(row) = self.staged.remove(&id) else { continue };
            if self.written_set.insert(id.clone()) {
                self.written.push(id.clone());
            }
            self.rows.insert(id, row);
        }
        self.sources.extend(self.staged_sources.drain());
    }

    fn rollback(&mut self) {
        self.staged.clear();
        self.staged_order.clear();
        self.staged_sources.clear();
    }

    fn into_written(mut self) -> Vec<T> {
        self.written.iter().filter_map(|id| self.rows.remove(id)).collect()
    }
}

/// The failure of a reference to a record that does not exist.
pub fn not_found(resource: &str, id: &str) -> ItemError {
    ItemError {
        message: "Resource not found".to_owned(),
        details: format!("Cannot find {resource} with id {id}"),
        key: "not_found".to_owned(),
    }
}

/// The failure of an item naming a SKU source_id that does not exist, without a product to
/// create it under.
pub fn sku_without_product(source_id: &str) -> ItemError {
    ItemError {
        message: "Resource not found".to_owned(),
        details: format!(
            "Cannot find sku with source_id {source_id} (a new SKU needs the item's product)"
        ),
        key: "not_found".to_owned(),
    }
}

/// The failure of an order whose id and source_id name two different orders.
pub fn order_source_taken(source_id: &str, other: &str) -> ItemError {
    ItemError {
        message: "Duplicated resource found".to_owned(),
        details: format!("source_id: '{source_id}' belongs to another order ({other})"),
        key: "duplicate_found".to_owned(),
    }
}

struct Planner {
    customers: Table<Customer>,
    products: Table<Product>,
    skus: Table<Sku>,
    orders: Table<Order>,
    now: Timestamp,
}

impl Planner {
    fn commit(&mut self) {
        self.customers.commit();
        self.products.commit();
        self.skus.commit();
        self.orders.commit();
    }

    fn rollback(&mut self) {
        self.customers.rollback();
        self.products.rollback();
        self.skus.rollback();
        self.orders.rollback();
    }

    /// The customer an order names, found by id or upserted by source_id, with the given
    /// fields merged.
    fn customer(&mut self, given: &CustomerRef) -> Result<Option<CustomerId>, ItemError> {
        let Some(reference) = given.reference() else {
            return Ok(None);
        };
        let changes = given.changes();
        let customer = match (self.customers.find(&reference).cloned(), reference) {
            (Some(mut found), _) => {
                if changes.changes_nothing() {
                    return Ok(Some(found.id));
                }
                changes.apply(&mut found, self.now);
                found
            }
            (None, Reference::Id(id)) => return Err(not_found("customer", &id)),
            (None, Reference::Source(_)) => {
                given.patch.clone().create(CustomerId::generate(), self.now)
            }
        };
        let id = customer.id.clone();
        self.customers.stage(customer);
        Ok(Some(id))
    }

    /// The product an item names, found by id or upserted by source_id.
    fn product(
        &mut self,
        reference: Reference,
        changes: ProductPatch,
    ) -> Result<Product, ItemError> {
        let product = match (self.products.find(&reference).cloned(), reference) {
            (Some(found), _) if changes.changes_nothing() => return Ok(found),
            (Some(mut found), _) => {
                changes.apply(&mut found, self.now);
                found
            }
            (None, Reference::Id(id)) => return Err(not_found("product", &id)),
            (None, Reference::Source(source)) => {
                ProductPatch { source_id: Some(source), ..changes }
                    .create(ProductId::generate(), self.now)
            }
        };
        self.products.stage(product.clone());
        Ok(product)
    }

    /// The product and SKU an item links to.
    fn item_links(
        &mut self,
        item: &OrderItemRecord,
    ) -> Result<(Option<Product>, Option<Sku>), ItemError> {
        let product = match item.product_ref() {
            Some(reference) => Some(self.product(reference, item.product_changes())?),
            None => None,
        };
        let Some(reference) = item.sku_ref() else {
            return Ok((product, None));
        };
        let changes: SkuPatch = item.sku_changes();
        let sku = match (self.skus.find(&reference).cloned(), reference) {
            (Some(found), _) => {
                if let Some(p) = &product
                    && p.id != found.product_id
                {
                    let key = found.source_id.clone().unwrap_or_else(|| found.id.to_string());
                    return Err(sku_in_use(&key, &found.product_id));
                }
                if changes.changes_nothing() {
                    found
                } else {
                    let mut found = found;
                    changes.apply(&mut found, self.now);
                    self.skus.stage(found.clone());
                    found
                }
            }
            (None, Reference::Id(id)) => return Err(not_found("sku", &id)),
            (None, Reference::Source(source)) => {
                let Some(p) = &product else {
                    return Err(sku_without_product(&source));
                };
                let sku = SkuPatch { source_id: Some(source), ..changes }.create(
                    SkuId::generate(),
                    p.id.clone(),
                    self.now,
                );
                self.skus.stage(sku.clone());
                sku
            }
        };
        let product = product.or_else(|| self.products.get(sku.product_id.as_str()).cloned());
        Ok((product, Some(sku)))
    }

    /// Plans one order on top of the staged rows; whether it replaces an existing order.
    fn order(&mut self, mut record: OrderRecord) -> Result<bool, ItemError> {
        let existing = match (&record.id, &record.source_id) {
            (Some(id), source) => {
                let found = self.orders.get(id).cloned().ok_or_else(|| not_found("order", id))?;
                if let Some(source) = source
                    && let Some(other) = self.orders.id_by_source(source)
                    && &other != id
                {
                    return Err(order_source_taken(source, &other));
                }
                Some(found)
            }
            (None, Some(source)) => self.orders.find(&Reference::Source(source.clone())).cloned(),
            (None, None) => None,
        };
        let customer = record.customer.take();
        let customer_id = customer.as_ref().map(|c| self.customer(c)).transpose()?.flatten();
        let referrer = record.referrer.take();
        let referrer_id = referrer.as_ref().map(|c| self.customer(c)).transpose()?.flatten();
        let mut items = Vec::with_capacity(record.items.len());
        for item in std::mem::take(&mut record.items) {
            let (product, sku) = self.item_links(&item)?;
            items.push(item.into_item(product.as_ref(), sku.as_ref()));
        }
        let found = existing.is_some();
        let (id, created_at, updated_at) = match existing {
            Some(order) => {
                if record.source_id.is_none() {
                    record.source_id = order.source_id;
                }
                (order.id, record.created_at.unwrap_or(order.created_at), Some(self.now))
            }
            None => (OrderId::generate(), record.created_at.unwrap_or(self.now), None),
        };
        let order = record.into_order(id, customer_id, referrer_id, items, created_at, updated_at);
        self.orders.stage(order);
        Ok(found)
    }
}

/// Applies order import items (numbered from `first_line`) on top of the stored `rows`.
/// Orders apply in item order, each all or nothing (see the module docs).
pub fn plan_orders(
    rows: OrderRows,
    items: Vec<Item<OrderRecord>>,
    first_line: u64,
    now: Timestamp,
) -> OrderPlan {
    let mut planner = Planner {
        customers: Table::new(rows.customers),
        products: Table::new(rows.products),
        skus: Table::new(rows.skus),
        orders: Table::new(rows.orders),
        now,
    };
    let mut lines = Vec::with_capacity(items.len());
    let mut rejected = 0i64;
    for (offset, item) in items.into_iter().enumerate() {
        let line = first_line + offset as u64;
        let record = match item {
            Item::Write(record) => record,
            Item::Failed { key, error } => {
                lines.push(ReportLine {
                    line,
                    key,
                    found: false,
                    updated: false,
                    error: Some(error),
                });
                continue;
            }
        };
        let key = record.source_id.clone().unwrap_or_default();
        match planner.order(record) {
            Ok(found) => {
                planner.commit();
                lines.push(ReportLine { line, key, found, updated: true, error: None });
            }
            Err(error) => {
                planner.rollback();
                rejected += 1;
                lines.push(ReportLine {
                    line,
                    key,
                    found: false,
                    updated: false,
                    error: Some(error),
                });
            }
        }
    }
    OrderPlan {
        customers: planner.customers.into_written(),
        products: planner.products.into_written(),
        skus: planner.skus.into_written(),
        orders: planner.orders.into_written(),
        lines,
        rejected,
    }
}
