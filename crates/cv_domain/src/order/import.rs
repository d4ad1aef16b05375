//! The order import (`ORDERS.IMPORT`, SPEC.md §3.3).
//!
//! An [`OrderRecord`] is one order of an import request as the client described it: its
//! customer, referrer, products and SKUs named by id or by source_id, amounts possibly
//! missing. Importing it resolves those references (creating customers, products and SKUs
//! named by source_id) and turns it into an [`Order`], whose totals are computed the way
//! Voucherify documents them:
//!
//! - an item's `price` is the given one, else its SKU's, else its product's;
//! - an item's `amount` is the given one, else `price × quantity`; its `subtotal_amount` is
//!   `amount − discount_amount`;
//! - the order's `amount` is the given one, else the sum of its items' amounts;
//! - `items_discount_amount` sums the items' discounts, `total_discount_amount` adds the
//!   order-level `discount_amount`, and `total_amount` is `amount − total_discount_amount`.
//!
//! Amounts are integers in cents.

use serde::{Deserialize, Serialize};

use super::{ItemProduct, ItemSku, Order, OrderItem, OrderStatus, RelatedObject};
use crate::{
    CustomerId, CustomerPatch, Metadata, Product, ProductPatch, Sku, SkuPatch, Timestamp,
    customer::Field, ids::OrderId,
};

/// How an import names a customer, product or SKU: by Voucherify id (it must exist) or by
/// the integrator's source_id (it is created when missing).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Reference {
    /// `cust_…`, `prod_…`, `sku_…`.
    Id(String),
    /// The integrator's id.
    Source(String),
}

/// The customer (or referrer) of an imported order: its reference and the fields to merge
/// into it. A Voucherify id wins over a source_id ("the source ID will be ignored").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerRef {
    /// `cust_…` of an existing customer.
    pub id: Option<String>,
    /// The given fields; `source_id` is the upsert key when there is no id.
    pub patch: CustomerPatch,
}

impl CustomerRef {
    /// How the customer is found.
    pub fn reference(&self) -> Option<Reference> {
        match (&self.id, &self.patch.source_id) {
            (Some(id), _) => Some(Reference::Id(id.clone())),
            (None, Some(source_id)) => Some(Reference::Source(source_id.clone())),
            (None, None) => None,
        }
    }

    /// The fields to merge into the found customer (without re-keying it).
    pub fn changes(&self) -> CustomerPatch {
        CustomerPatch { source_id: None, ..self.patch.clone() }
    }
}

/// The `product` object of an import item.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemProductRecord {
    /// `prod_…` of an existing product.
    pub id: Option<String>,
    /// The product's source_id (upserted).
    pub source_id: Option<String>,
    /// Name to set.
    pub name: Option<String>,
    /// Price to set, in cents.
    pub price: Option<i64>,
    /// Metadata keys to set.
    pub metadata: Option<Metadata>,
}

/// The `sku` object of an import item.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemSkuRecord {
    /// `sku_…` of an existing SKU.
    pub id: Option<String>,
    /// The SKU's source_id (upserted).
    pub source_id: Option<String>,
    /// Name to set.
    pub sku: Option<String>,
    /// Price to set, in cents.
    pub price: Option<i64>,
    /// Metadata keys to set.
    pub metadata: Option<Metadata>,
}

/// One item of an imported order, as given.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OrderItemRecord {
    /// `sku_…` of an existing SKU.
    pub sku_id: Option<String>,
    /// `prod_…` of an existing product.
    pub product_id: Option<String>,
    /// What `source_id` names (a product when absent).
    pub related_object: Option<RelatedObject>,
    /// The integrator's product or SKU id.
    pub source_id: Option<String>,
    /// Units.
    pub quantity: Option<i64>,
    /// Discounted units.
    pub discount_quantity: Option<i64>,
    /// Units before discounts.
    pub initial_quantity: Option<i64>,
    /// Line amount.
    pub amount: Option<i64>,
    /// Line discount.
    pub discount_amount: Option<i64>,
    /// Line amount before discounts.
    pub initial_amount: Option<i64>,
    /// Unit price.
    pub price: Option<i64>,
    /// The product to link (and upsert by source_id).
    pub product: Option<ItemProductRecord>,
    /// The SKU to link (and upsert by source_id).
    pub sku: Option<ItemSkuRecord>,
    /// The item's metadata.
    pub metadata: Metadata,
}

fn set<T: Clone>(value: &Option<T>) -> Field<T> {
    value.clone().map_or(Field::Keep, Field::Set)
}

impl OrderItemRecord {
    /// The SKU the item names: `sku_id`, else `sku.id`, else `sku.source_id`, else its
    /// `source_id` when `related_object` is `sku`.
    pub fn sku_ref(&self) -> Option<Reference> {
        let sku = self.sku.as_ref();
        if let Some(id) = self.sku_id.clone().or_else(|| sku.and_then(|s| s.id.clone())) {
            return Some(Reference::Id(id));
        }
        if let Some(source_id) = sku.and_then(|s| s.source_id.clone()) {
            return Some(Reference::Source(source_id));
        }
        match (self.related_object, &self.source_id) {
            (Some(RelatedObject::Sku), Some(source_id)) => {
                Some(Reference::Source(source_id.clone()))
            }
            _ => None,
        }
    }

    /// The product the item names: `product_id`, else `product.id`, else
    /// `product.source_id`, else its `source_id` unless `related_object` is `sku`.
    pub fn product_ref(&self) -> Option<Reference> {
        let product = self.product.as_ref();
        if let Some(id) = self.product_id.clone().or_else(|| product.and_then(|p| p.id.clone())) {
            return Some(Reference::Id(id));
        }
        if let Some(source_id) = product.and_then(|p| p.source_id.clone()) {
            return Some(Reference::Source(source_id));
        }
        match (self.related_object, &self.source_id) {
            (Some(RelatedObject::Sku), _) | (_, None) => None,
            (_, Some(source_id)) => Some(Reference::Source(source_id.clone())),
        }
    }

    /// The product fields the item gives (name, price, metadata; metadata merges).
    pub fn product_changes(&self) -> ProductPatch {
        let Some(p) = &self.product else {
            return ProductPatch::default();
        };
        ProductPatch {
            name: set(&p.name),
            price: set(&p.price),
            metadata: p.metadata.clone(),
            ..ProductPatch::default()
        }
    }

    /// The SKU fields the item gives (sku, price, metadata; metadata merges).
    pub fn sku_changes(&self) -> SkuPatch {
        let Some(s) = &self.sku else {
            return SkuPatch::default();
        };
        SkuPatch {
            sku: set(&s.sku),
            price: set(&s.price),
            metadata: s.metadata.clone(),
            ..SkuPatch::default()
        }
    }

    /// The stored item, linked to `product` and `sku` when the import resolved them; fills
    /// in the price, amounts and snapshots as the module docs describe.
    pub fn into_item(self, product: Option<&Product>, sku: Option<&Sku>) -> OrderItem {
        let price = self.price.or(sku.and_then(|s| s.price)).or(product.and_then(|p| p.price));
        let amount = self.amount.or_else(|| price?.checked_mul(self.quantity?));
        let subtotal_amount = amount.map(|a| a.saturating_sub(self.discount_amount.unwrap_or(0)));
        let product_snapshot = match (product, self.product) {
            (Some(p), _) => Some(ItemProduct::from(p)),
            (None, Some(given)) => Some(ItemProduct {
                id: None,
                source_id: given.source_id,
                name: given.name,
                price: given.price,
                metadata: given.metadata,
            }),
            (None, None) => None,
        };
        let sku_snapshot = match (sku, self.sku) {
            (Some(s), _) => Some(ItemSku::from(s)),
            (None, Some(given)) => Some(ItemSku {
                id: None,
                source_id: given.source_id,
                sku: given.sku,
                price: given.price,
                metadata: given.metadata,
            }),
            (None, None) => None,
        };
        OrderItem {
            sku_id: sku.map(|s| s.id.clone()),
            product_id: product.map(|p| p.id.clone()),
            related_object: self.related_object,
            source_id: self.source_id,
            quantity: self.quantity,
            discount_quantity: self.discount_quantity,
            initial_quantity: self.initial_quantity.or(self.quantity),
            amount,
            discount_amount: self.discount_amount,
            initial_amount: self.initial_amount.or(amount),
            price,
            subtotal_amount,
            product: product_snapshot,
            sku: sku_snapshot,
            metadata: self.metadata,
        }
    }
}

/// One order of an `ORDERS.IMPORT` request, as given.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OrderRecord {
    /// `ord_…` of an existing order to replace.
    pub id: Option<String>,
    /// The integrator's id: an order with this source_id is replaced (re-importing is
    /// idempotent).
    pub source_id: Option<String>,
    /// Status; `CREATED` when absent.
    pub status: Option<OrderStatus>,
    /// Order amount.
    pub amount: Option<i64>,
    /// Amount before discounts.
    pub initial_amount: Option<i64>,
    /// Order-level discount.
    pub discount_amount: Option<i64>,
    /// The lines.
    pub items: Vec<OrderItemRecord>,
    /// Metadata (replaces the stored metadata of a re-imported order).
    pub metadata: Metadata,
    /// When the order was placed; the time of the import when absent.
    pub created_at: Option<Timestamp>,
    /// The buyer.
    pub customer: Option<CustomerRef>,
    /// Who referred the buyer.
    pub referrer: Option<CustomerRef>,
}

impl OrderRecord {
    /// The stored order: `items` are this record's items already resolved (in order),
    /// `created_at` and `updated_at` are decided by the caller (a re-import keeps the
    /// stored creation time unless one is given).
    pub fn into_order(
        self,
        id: OrderId,
        customer_id: Option<CustomerId>,
        referrer_id: Option<CustomerId>,
        items: Vec<OrderItem>,
        created_at: Timestamp,
        updated_at: Option<Timestamp>,
    ) -> Order {
        let item_amounts: Vec<i64> = items.iter().filter_map(|i| i.amount).collect();
        let amount = self.amount.or_else(|| {
            (!item_amounts.is_empty())
                .then(|| item_amounts.iter().fold(0i64, |a, b| a.saturating_add(*b)))
        });
        let items_discount_amount =
            items.iter().filter_map(|i| i.discount_amount).fold(0i64, |a, b| a.saturating_add(b));
        let total_discount_amount =
            self.discount_amount.unwrap_or(0).saturating_add(items_discount_amount);
        Order {
            id,
            source_id: self.source_id,
            status: self.status.unwrap_or(OrderStatus::Created),
            amount,
            initial_amount: self.initial_amount.or(amount),
            discount_amount: self.discount_amount,
            items_discount_amount,
            total_discount_amount,
            total_amount: amount.map(|a| a.saturating_sub(total_discount_amount)),
            items,
            metadata: self.metadata,
            customer_id,
            referrer_id,
            created_at,
            updated_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{ProductId, SkuId};

    fn meta(v: serde_json::Value) -> Metadata {
        v.as_object().cloned().unwrap_or_default()
    }

    fn product(price: Option<i64>) -> Product {
        ProductPatch { source_id: Some("p".into()), price: set(&price), ..Default::default() }
            .create(ProductId::generate(), Timestamp::from_millis(1))
    }

    #[test]
    fn totals_follow_voucherifys_documented_example() {
        // GET /v1/orders example: amount 2700, discount 1243, items discounts 70+50+150.
        let items = [(700, 70), (500, 50), (1500, 150)]
            .into_iter()
            .map(|(price, discount)| {
                OrderItemRecord {
                    price: Some(price),
                    quantity: Some(1),
                    discount_amount: Some(discount),
                    ..Default::default()
                }
                .into_item(None, None)
            })
            .collect::<Vec<_>>();
        assert_eq!(items[0].subtotal_amount, Some(630));
        let order = OrderRecord { discount_amount: Some(1243), ..Default::default() }.into_order(
            OrderId::generate(),
            None,
            None,
            items,
            Timestamp::from_millis(5),
            None,
        );
        assert_eq!((order.amount, order.initial_amount), (Some(2700), Some(2700)));
        assert_eq!((order.items_discount_amount, order.total_discount_amount), (270, 1513));
        assert_eq!(order.total_amount, Some(1187));
        assert_eq!(order.status, OrderStatus::Created);
    }

    #[test]
    fn given_amounts_win_and_missing_ones_stay_unknown() {
        let items = vec![
            OrderItemRecord { amount: Some(900), ..Default::default() }.into_item(None, None),
            OrderItemRecord { price: Some(2000), ..Default::default() }.into_item(None, None),
        ];
        assert_eq!((items[1].amount, items[1].subtotal_amount), (None, None));
        let order = OrderRecord {
            amount: Some(7000),
            status: Some(OrderStatus::Canceled),
            ..Default::default()
        }
        .into_order(
            OrderId::generate(),
            None,
            None,
            items.clone(),
            Timestamp::from_millis(1),
            None,
        );
        assert_eq!((order.amount, order.total_amount), (Some(7000), Some(7000)));
        let summed = OrderRecord::default().into_order(
            OrderId::generate(),
            None,
            None,
            items,
            Timestamp::from_millis(1),
            None,
        );
        assert_eq!(summed.amount, Some(900), "only known item amounts are summed");
        let empty = OrderRecord::default().into_order(
            OrderId::generate(),
            None,
            None,
            Vec::new(),
            Timestamp::from_millis(1),
            None,
        );
        assert_eq!(
            (empty.amount, empty.total_amount, empty.total_discount_amount),
            (None, None, 0)
        );
    }

    #[test]
    fn items_take_catalog_prices_and_link_to_stored_records() {
        let stored = product(Some(1600));
        let sku =
            SkuPatch { source_id: Some("s".into()), price: Field::Set(1500), ..Default::default() }
                .create(SkuId::generate(), stored.id.clone(), Timestamp::from_millis(2));
        let item = OrderItemRecord {
            quantity: Some(4),
            related_object: Some(RelatedObject::Sku),
            source_id: Some("s".into()),
            ..Default::default()
        }
        .into_item(Some(&stored), Some(&sku));
        assert_eq!(
            (item.price, item.amount, item.initial_quantity),
            (Some(1500), Some(6000), Some(4))
        );
        assert_eq!((item.product_id, item.sku_id), (Some(stored.id.clone()), Some(sku.id.clone())));
        assert_eq!(item.sku.and_then(|s| s.source_id).as_deref(), Some("s"));
        let item = OrderItemRecord { quantity: Some(2), ..Default::default() }
            .into_item(Some(&stored), None);
        assert_eq!(item.amount, Some(3200));
        let unlinked = OrderItemRecord {
            product: Some(ItemProductRecord {
                name: Some("Shipping".into()),
                ..Default::default()
            }),
            metadata: meta(json!({"k": 1})),
            ..Default::default()
        }
        .into_item(None, None);
        assert_eq!(unlinked.product.and_then(|p| p.name).as_deref(), Some("Shipping"));
        assert_eq!(unlinked.metadata, meta(json!({"k": 1})));
    }

    #[test]
    fn references_follow_related_object_and_prefer_ids() {
        let by_source = OrderItemRecord { source_id: Some("vase".into()), ..Default::default() };
        assert_eq!(by_source.product_ref(), Some(Reference::Source("vase".into())));
        assert_eq!(by_source.sku_ref(), None);
        let sku = OrderItemRecord {
            source_id: Some("comic".into()),
            related_object: Some(RelatedObject::Sku),
            product: Some(ItemProductRecord {
                source_id: Some("books".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(sku.sku_ref(), Some(Reference::Source("comic".into())));
        assert_eq!(sku.product_ref(), Some(Reference::Source("books".into())));
        let ids = OrderItemRecord {
            product_id: Some("prod_1".into()),
            sku_id: Some("sku_1".into()),
            sku: Some(ItemSkuRecord { source_id: Some("ignored".into()), ..Default::default() }),
            ..Default::default()
        };
        assert_eq!(ids.product_ref(), Some(Reference::Id("prod_1".into())));
        assert_eq!(ids.sku_ref(), Some(Reference::Id("sku_1".into())));
        let customer = CustomerRef {
            id: Some("cust_1".into()),
            patch: CustomerPatch { source_id: Some("ann".into()), ..Default::default() },
        };
        assert_eq!(customer.reference(), Some(Reference::Id("cust_1".into())));
        assert_eq!(customer.changes().source_id, None);
    }
}
