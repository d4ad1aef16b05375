//! The voucher part of the storage contract: [`VoucherStore`], part of the API's
//! role ([`crate::ApiStore`]); actions read vouchers through [`crate::Inputs`]. Voucher
//! writes go through chunk commits ([`crate::VoucherWrites::Import`],
//! [`crate::VoucherWrites::Metadata`]), planned by [`crate::plan::vouchers`].

use async_trait::async_trait;
use cv_domain::{ProjectId, Timestamp, Voucher, VoucherRecord};

use crate::StoreError;

/// A page of vouchers and the total that matched.
#[derive(Debug, Clone)]
pub struct VoucherPage {
    /// Newest first.
    pub vouchers: Vec<Voucher>,
    /// All vouchers that matched the filter.
    pub total: u64,
}

/// Voucher reads, and a direct import for seeding. Like every store call, each is one short
/// transaction.
#[async_trait]
pub trait VoucherStore: Send + Sync {
    /// Creates standalone vouchers in one transaction, planned as an import chunk would be
    /// (`update`: existing codes take the record; otherwise they are skipped). Returns the
    /// vouchers written.
    async fn import_vouchers(
        &self,
        project: &ProjectId,
        records: Vec<VoucherRecord>,
        update: bool,
        now: Timestamp,
    ) -> Result<Vec<Voucher>, StoreError>;

    /// A voucher by code, or else by id.
    async fn get_voucher(
        &self,
        project: &ProjectId,
        code_or_id: &str,
    ) -> Result<Option<Voucher>, StoreError>;

    /// Which of `codes` the project already has, sorted.
    async fn existing_voucher_codes(
        &self,
        project: &ProjectId,
        codes: &[String],
    ) -> Result<Vec<String>, StoreError>;

    /// A page (1-based) of vouchers, newest first, of one campaign or (`None`) all, with the
    /// total that matched.
    async fn list_vouchers(
        &self,
        project: &ProjectId,
        campaign_id: Option<&str>,
        limit: u32,
        page: u32,
    ) -> Result<VoucherPage, StoreError>;
}
