//! `VOUCHERS.IMPORT`: create standalone vouchers from a JSON array
//! (`POST /v1/vouchers/import`). Items the API found incomplete, metadata the project's
//! voucher schema refuses, and codes that exist by the time the item runs fail their item;
//! the result lists them as `{code, reason}` (family A, without `row`).

use async_trait::async_trait;
use cv_domain::{
    VoucherRecord,
    metadata_schema::{MetadataResource, MetadataSchema},
    payload::{VoucherImportItem, VouchersImport},
};
use cv_engine::{ActionError, ActionRun, Finish};
use cv_store::{ActionRecord, ChunkWrites, Inputs, Item, ItemError, ReportMode, VoucherWrites};

use crate::{
    Action, Start, chunk_of, left_of, metadata_error,
    report::{self, FailedShape},
};

pub(crate) struct Run {
    vouchers: Vec<VoucherImportItem>,
    schema: Option<MetadataSchema>,
}

impl Run {
    /// A run over `payload`'s items, checked against the voucher `schema`.
    pub fn new(payload: VouchersImport, schema: Option<MetadataSchema>) -> Self {
        Self { vouchers: payload.vouchers, schema }
    }

    fn item(&self, item: &VoucherImportItem) -> Item<VoucherRecord> {
        match item {
            VoucherImportItem::Invalid { code, reason } => Item::failed(
                code.clone(),
                ItemError {
                    message: "Invalid voucher".to_owned(),
                    details: reason.clone(),
                    key: "invalid_voucher".to_owned(),
                },
            ),
            VoucherImportItem::Valid(record) => {
                let refusal = self
                    .schema
                    .as_ref()
                    .and_then(|s| s.validate_json(&record.metadata, true).err());
                match refusal {
                    Some(reason) => Item::failed(record.code.clone(), metadata_error(reason)),
                    None => Item::Write((**record).clone()),
                }
            }
        }
    }
}

#[async_trait]
impl Action for Run {
    type Payload = VouchersImport;

    async fn start(start: Start<'_>, payload: VouchersImport) -> Result<Self, ActionError> {
        Ok(Self::new(payload, start.schema(MetadataResource::Voucher).await?))
    }
}

#[async_trait]
impl ActionRun for Run {
    async fn chunk(&mut self, cursor: u64, max: usize) -> Result<ChunkWrites, ActionError> {
        let items = chunk_of(&self.vouchers, cursor, max).iter().map(|i| self.item(i)).collect();
        Ok(ChunkWrites::Vouchers(VoucherWrites::Import { update: false, items }))
    }

    fn report_mode(&self) -> ReportMode {
        ReportMode::FailuresOnly
    }

    fn items_left(&self, cursor: u64) -> Option<u64> {
        left_of(&self.vouchers, cursor)
    }

    async fn finish(
        &mut self,
        inputs: &dyn Inputs,
        action: &ActionRecord,
    ) -> Result<Finish, ActionError> {
        let shape = FailedShape::Item { key_name: "code" };
        Ok(report::import_result(inputs, action, "voucher", shape).await?.into())
    }
}
