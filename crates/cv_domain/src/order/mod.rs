//! Orders (SPEC.md §4): an [`Order`] as stored, its items and their product and SKU
//! snapshots. The records of an order import (`ORDERS.IMPORT`, §3.3) and how they become an
//! `Order` are in the `import` submodule, re-exported here.

use serde::{Deserialize, Serialize};

use crate::{CustomerId, Metadata, Product, ProductId, Sku, SkuId, Timestamp, ids::OrderId};

mod import;

pub use import::{
    CustomerRef, ItemProductRecord, ItemSkuRecord, OrderItemRecord, OrderRecord, Reference,
};

/// An order's life-cycle status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    /// Created, not paid (the default).
    Created,
    /// Paid.
    Paid,
    /// Cancelled.
    Canceled,
    /// Delivered.
    Fulfilled,
}

impl OrderStatus {
    /// Every status, in Voucherify's order.
    pub const ALL: [OrderStatus; 4] =
        [OrderStatus::Created, OrderStatus::Paid, OrderStatus::Canceled, OrderStatus::Fulfilled];

    /// The wire text.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Created => "CREATED",
            OrderStatus::Paid => "PAID",
            OrderStatus::Canceled => "CANCELED",
            OrderStatus::Fulfilled => "FULFILLED",
        }
    }

    /// The status with this wire text.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// What an item's `source_id` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RelatedObject {
    /// A product (the default).
    Product,
    /// A SKU.
    Sku,
}

impl RelatedObject {
    /// The wire text.
    pub fn as_str(self) -> &'static str {
        match self {
            RelatedObject::Product => "product",
            RelatedObject::Sku => "sku",
        }
    }

    /// The value with this wire text.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "product" => Some(RelatedObject::Product),
            "sku" => Some(RelatedObject::Sku),
            _ => None,
        }
    }
}

/// The product snapshot an order item shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemProduct {
    /// `prod_…`, when the item is linked to a stored product.
    pub id: Option<ProductId>,
    /// The product's source_id.
    pub source_id: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Unit price in cents.
    pub price: Option<i64>,
    /// Metadata, when given or stored.
    pub metadata: Option<Metadata>,
}

/// The SKU snapshot an order item shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemSku {
    /// `sku_…`, when the item is linked to a stored SKU.
    pub id: Option<SkuId>,
    /// The SKU's source_id.
    pub source_id: Option<String>,
    /// The SKU's name.
    pub sku: Option<String>,
    /// Unit price in cents.
    pub price: Option<i64>,
    /// Metadata, when given or stored.
    pub metadata: Option<Metadata>,
}

impl From<&Product> for ItemProduct {
    fn from(p: &Product) -> Self {
        Self {
            id: Some(p.id.clone()),
            source_id: p.source_id.clone(),
            name: p.name.clone(),
            price: p.price,
            metadata: Some(p.metadata.clone()),
        }
    }
}

impl From<&Sku> for ItemSku {
    fn from(s: &Sku) -> Self {
        Self {
            id: Some(s.id.clone()),
            source_id: s.source_id.clone(),
            sku: s.sku.clone(),
            price: s.price,
            metadata: Some(s.metadata.clone()),
        }
    }
}

/// One line of a stored order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OrderItem {
    /// The linked SKU.
    pub sku_id: Option<SkuId>,
    /// The linked product (the SKU's product for a SKU item).
    pub product_id: Option<ProductId>,
    /// What `source_id` names.
    pub related_object: Option<RelatedObject>,
    /// The integrator's product or SKU id, as given.
    pub source_id: Option<String>,
    /// Units.
    pub quantity: Option<i64>,
    /// Discounted units.
    pub discount_quantity: Option<i64>,
    /// Units before any discount changed them (the given value, else `quantity`).
    pub initial_quantity: Option<i64>,
    /// `price × quantity` unless given.
    pub amount: Option<i64>,
    /// Item-level discount.
    pub discount_amount: Option<i64>,
    /// The amount before discounts (the given value, else `amount`).
    pub initial_amount: Option<i64>,
    /// Unit price (the given value, else the SKU's or product's).
    pub price: Option<i64>,
    /// `amount − discount_amount`.
    pub subtotal_amount: Option<i64>,
    /// The product, as given or as stored.
    pub product: Option<ItemProduct>,
    /// The SKU, as given or as stored.
    pub sku: Option<ItemSku>,
    /// The item's own metadata.
    pub metadata: Metadata,
}

/// An order as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    /// `ord_…`.
    pub id: OrderId,
    /// The integrator's id, unique per project when present.
    pub source_id: Option<String>,
    /// Life-cycle status.
    pub status: OrderStatus,
    /// The given amount, else the sum of the items' amounts.
    pub amount: Option<i64>,
    /// The given initial amount, else `amount`.
    pub initial_amount: Option<i64>,
    /// Order-level discount.
    pub discount_amount: Option<i64>,
    /// Sum of the items' discounts.
    pub items_discount_amount: i64,
    /// `discount_amount + items_discount_amount`.
    pub total_discount_amount: i64,
    /// `amount − total_discount_amount`.
    pub total_amount: Option<i64>,
    /// The lines.
    pub items: Vec<OrderItem>,
    /// Custom attributes.
    pub metadata: Metadata,
    /// The buyer.
    pub customer_id: Option<CustomerId>,
    /// Who referred the buyer.
    pub referrer_id: Option<CustomerId>,
    /// When the order was placed (an import keeps the given time).
    pub created_at: Timestamp,
    /// When the order last changed; absent until the first change.
    pub updated_at: Option<Timestamp>,
}
