//! `VOUCHERS.IMPORT`: create standalone vouchers from a JSON array
//! (`POST /v1/vouchers/import`). Items the API found incomplete, metadata the project's
//! voucher schema refuses, and codes that exist by the time the item runs fail their item;
//! the result lists them as `{code, reason}` (family A, without `row`).

use async_trait::async_trait;
use cv_domain::{
    metadata_schema::MetadataSchema,
    payload::{VoucherImportItem, VouchersImport},
};
use cv_engine::{ActionError, ActionRun};
use cv_store::{ActionRecord, ChunkItem, ItemError, ReportMode, Store};
use serde_json::{Value, json};

use crate::{chunk_of, metadata_error, report::MAX_ERRORS};

pub(crate) struct Run {
    vouchers: Vec<VoucherImportItem>,
    schema: Option<MetadataSchema>,
}

impl Run {
    pub fn new(payload: VouchersImport, schema: Option<MetadataSchema>) -> Self {
        Self { vouchers: payload.vouchers, schema }
    }

    fn item(&self, item: &VoucherImportItem) -> ChunkItem {
        match item {
            VoucherImportItem::Invalid { code, reason } => ChunkItem::Failed {
                key: code.clone(),
                error: ItemError {
                    message: "Invalid voucher".to_owned(),
                    details: reason.clone(),
                    key: "invalid_voucher".to_owned(),
                },
            },
            VoucherImportItem::Valid(record) => {
                let refusal = self
                    .schema
                    .as_ref()
                    .and_then(|s| s.validate_json(&record.metadata, true).err());
                match refusal {
                    Some(reason) => ChunkItem::Failed {
                        key: record.code.clone(),
                        error: metadata_error(reason),
                    },
                    None => ChunkItem::VoucherImport { record: (**record).clone(), update: false },
                }
            }
        }
    }
}

#[async_trait]
impl ActionRun for Run {
    async fn chunk(&mut self, cursor: u64, max: usize) -> Result<Vec<ChunkItem>, ActionError> {
        Ok(chunk_of(&self.vouchers, cursor, max).iter().map(|item| self.item(item)).collect())
    }

    fn report_mode(&self) -> ReportMode {
        ReportMode::FailuresOnly
    }

    async fn result(
        &mut self,
        store: &dyn Store,
        action: &ActionRecord,
    ) -> Result<Value, ActionError> {
        let failed: Vec<Value> = store
            .failed_report_lines(&action.id, MAX_ERRORS)
            .await?
            .into_iter()
            .map(|line| {
                let reason = line.error.map(|e| e.details).unwrap_or_default();
                json!({"code": line.key, "reason": reason})
            })
            .collect();
        Ok(json!({
            "message": format!(
                "{} voucher(s) imported successfully, {} failed.",
                action.done_count, action.failed_count
            ),
            "failed": failed,
            "done_count": action.done_count,
            "failed_count": action.failed_count,
        }))
    }
}
