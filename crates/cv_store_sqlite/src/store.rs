//! The core of the store on SQLite: `Resources`, `ActionReads` and the engine's `Queue`.

use async_trait::async_trait;
use cv_domain::{
    ActionId, ActionResult, Customer, CustomerId, CustomerPatch, ProjectId, Timestamp,
    ids::random_secret,
    metadata_schema::{MetadataResource, MetadataSchema},
};
use cv_store::{
    ActionChange, ActionChanges, ActionCount, ActionFilter, ActionReads, ActionRecord, ChunkCommit,
    ChunkCounts, ClaimedAction, CustomerPage, Fence, FinishEffect, Item, MetadataSchemaRecord,
    NewAction, Queue, ReportLine, Resources, StoreError, Wakeups, sql as q, sql::control as qx,
};
use rusqlite::{OptionalExtension, params};

use crate::convert::Cached as _;
use crate::{
    SqliteStore, campaigns,
    chunk::{self, apply_customer_items, lease_lost, write_customer},
    convert::{self, error, sql},
    migrate, webhooks,
};

/// The runnable action first in the queue (smallest `queued_at`) at `?1` (see
/// `cv_store::serial_group_runnable!` for serial groups), and whether its lease ran out
/// (`cv_store::lease_ran_out!`). [`CLAIM`] takes it in the same writer transaction, so the
/// single writer makes the pair atomic.
const NEXT_RUNNABLE: &str = concat!(
    "SELECT a.id, ",
    cv_store::lease_ran_out!(),
    " FROM async_actions a \
     WHERE a.status IN ('ENQUEUED', 'IN_PROGRESS') \
       AND (a.status = 'ENQUEUED' OR a.lease_expires_at < ?1) AND ",
    cv_store::serial_group_runnable!(),
    " ORDER BY a.queued_at, a.id LIMIT 1"
);

/// Claims action `?4` (found by [`NEXT_RUNNABLE`]) for worker `?1` at `?2`, leased until `?3`.
const CLAIM: &str = "UPDATE async_actions SET status = 'IN_PROGRESS', attempt = attempt + 1, \
       lease_owner = ?1, lease_expires_at = ?3, updated_at = ?2 \
     WHERE id = ?4 \
     RETURNING id, project_id, kind, status, progress, attempt, cursor, total_items, \
       done_count, failed_count, request_id, result, created_at, updated_at";

#[async_trait]
impl Resources for SqliteStore {
    async fn ensure_project(&self, name: &str, now: Timestamp) -> Result<ProjectId, StoreError> {
        let name = name.to_owned();
        self.write(move |tx| {
            let id = ProjectId::generate();
            tx.exec(&sql(q::INSERT_PROJECT), params![id.as_str(), name, now.as_millis()])
                .map_err(error)?;
            let id: String =
                tx.row(&sql(q::SELECT_PROJECT), [&name], |r| r.get(0)).map_err(error)?;
            Ok(ProjectId::from_string(id))
        })
        .await
    }

    async fn put_credential(
        &self,
        project: &ProjectId,
        app_id: &str,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let (project, app_id, hash) = (project.clone(), app_id.to_owned(), token_hash.to_owned());
        self.write(move |tx| {
            tx.exec(
                &sql(q::UPSERT_CREDENTIAL),
                params![app_id, project.as_str(), hash, now.as_millis()],
            )
            .map_err(error)?;
            Ok(())
        })
        .await
    }

    async fn find_credential(
        &self,
        app_id: &str,
    ) -> Result<Option<(ProjectId, String)>, StoreError> {
        let app_id = app_id.to_owned();
        self.read_point(move |c| {
            c.prepare_cached(&sql(q::SELECT_CREDENTIAL))?
                .query_row([&app_id], |r| {
                    Ok((ProjectId::from_string(r.get::<_, String>(0)?), r.get(1)?))
                })
                .optional()
        })
        .await
    }

    async fn count_credentials(&self, project: &ProjectId) -> Result<u64, StoreError> {
        let project = project.clone();
        self.read(move |c| {
            c.row(&sql(q::COUNT_CREDENTIALS), [project.as_str()], |r| r.get::<_, i64>(0))
        })
        .await
        .map(|n| n as u64)
    }

    async fn create_action(&self, new: NewAction) -> Result<ActionRecord, StoreError> {
        let record = self
            .write(move |tx| {
                tx.exec(
                    &sql(q::INSERT_ACTION),
                    params![
                        new.id.as_str(),
                        new.project_id.as_str(),
                        new.kind().as_str(),
                        new.request_id.as_str(),
                        new.total_items as i64,
                        new.created_at.as_millis(),
                        new.kind().serial_group(),
                    ],
                )
                .map_err(error)?;
                tx.exec(&sql(q::INSERT_PAYLOAD), params![new.id.as_str(), new.payload()])
                    .map_err(error)?;
                tx.row(
                    &sql(q::SELECT_ACTION),
                    params![new.project_id.as_str(), new.id.as_str()],
                    convert::action,
                )
                .map_err(error)
            })
            .await?;
        self.inner.wake.notify_waiters();
        self.inner.changes.publish(ActionChange::changed(&record.project_id, &record.id));
        Ok(record)
    }

    async fn put_upload_part(
        &self,
        upload: &ActionId,
        part: u32,
        bytes: Vec<u8>,
    ) -> Result<(), StoreError> {
        let upload = upload.clone();
        self.write(move |tx| {
            tx.exec(&sql(q::INSERT_UPLOAD_PART), params![upload.as_str(), i64::from(part), bytes])
                .map_err(error)?;
            Ok(())
        })
        .await
    }

    async fn read_upload_part(
        &self,
        upload: &ActionId,
        part: u32,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let upload = upload.clone();
        self.read(move |c| {
            c.row(&sql(q::SELECT_UPLOAD_PART), params![upload.as_str(), i64::from(part)], |r| {
                r.get(0)
            })
            .optional()
        })
        .await
    }

    async fn delete_upload(&self, upload: &ActionId) -> Result<(), StoreError> {
        let upload = upload.clone();
        self.write(move |tx| {
            tx.exec(&sql(q::DELETE_UPLOAD), params![upload.as_str()]).map_err(error)?;
            Ok(())
        })
        .await
    }

    async fn put_metadata_schema(
        &self,
        project: &ProjectId,
        schema: &MetadataSchema,
        now: Timestamp,
    ) -> Result<MetadataSchemaRecord, StoreError> {
        let (project, schema) = (project.clone(), schema.clone());
        self.write(move |tx| {
            let id = format!("ms_{}", random_secret(24));
            tx.row(
                &sql(q::UPSERT_METADATA_SCHEMA),
                params![
                    id,
                    project.as_str(),
                    schema.related_object.as_str(),
                    convert::to_json(&schema),
                    now.as_millis()
                ],
                convert::metadata_schema,
            )
            .map_err(error)
        })
        .await
    }

    async fn get_metadata_schema(
        &self,
        project: &ProjectId,
        resource: MetadataResource,
    ) -> Result<Option<MetadataSchemaRecord>, StoreError> {
        let project = project.clone();
        self.read(move |c| {
            c.row(
                &sql(q::SELECT_METADATA_SCHEMA),
                params![project.as_str(), resource.as_str()],
                convert::metadata_schema,
            )
            .optional()
        })
        .await
    }

    async fn list_metadata_schemas(
        &self,
        project: &ProjectId,
    ) -> Result<Vec<MetadataSchemaRecord>, StoreError> {
        let project = project.clone();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&sql(q::SELECT_METADATA_SCHEMAS))?;
            stmt.query_map([project.as_str()], convert::metadata_schema)?.collect()
        })
        .await
    }

    async fn delete_metadata_schema(
        &self,
        project: &ProjectId,
        resource: MetadataResource,
    ) -> Result<bool, StoreError> {
        let project = project.clone();
        self.write(move |tx| {
            let n = tx
                .exec(&sql(q::DELETE_METADATA_SCHEMA), params![project.as_str(), resource.as_str()])
                .map_err(error)?;
            Ok(n > 0)
        })
        .await
    }

    async fn upsert_customers(
        &self,
        project: &ProjectId,
        patches: Vec<CustomerPatch>,
        now: Timestamp,
    ) -> Result<Vec<Customer>, StoreError> {
        let project = project.clone();
        self.write(move |tx| {
            let items = patches.into_iter().map(Item::Write).collect();
            Ok(apply_customer_items(tx, project.as_str(), items, 0, now)?.rows)
        })
        .await
    }

    async fn get_customer(
        &self,
        project: &ProjectId,
        id_or_source_id: &str,
    ) -> Result<Option<Customer>, StoreError> {
        self.find(q::SELECT_CUSTOMER, project, id_or_source_id, convert::customer).await
    }

    async fn update_customer(
        &self,
        project: &ProjectId,
        id: &CustomerId,
        patch: CustomerPatch,
        now: Timestamp,
    ) -> Result<Option<Customer>, StoreError> {
        let (project, id) = (project.clone(), id.clone());
        self.write(move |tx| {
            let Some(mut customer) = tx
                .row(
                    &sql(q::SELECT_CUSTOMER_BY_ID),
                    params![project.as_str(), id.as_str()],
                    convert::customer,
                )
                .optional()
                .map_err(error)?
            else {
                return Ok(None);
            };
            patch.apply(&mut customer, now);
            write_customer(tx, project.as_str(), &customer)?;
            Ok(Some(customer))
        })
        .await
    }

    async fn delete_customer(
        &self,
        project: &ProjectId,
        id: &CustomerId,
    ) -> Result<bool, StoreError> {
        let (project, id) = (project.clone(), id.clone());
        self.write(move |tx| {
            let n = tx
                .exec(&sql(q::DELETE_CUSTOMER), params![project.as_str(), id.as_str()])
                .map_err(error)?;
            Ok(n > 0)
        })
        .await
    }

    async fn list_customers(
        &self,
        project: &ProjectId,
        limit: u32,
        page: u32,
    ) -> Result<CustomerPage, StoreError> {
        let project = project.clone();
        self.read(move |c| {
            let offset = q::page_offset(limit, page);
            let mut stmt = c.prepare_cached(&sql(q::SELECT_CUSTOMER_PAGE))?;
            let customers = stmt
                .query_map(params![project.as_str(), i64::from(limit), offset], convert::customer)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let total: i64 = c.row(&sql(q::COUNT_CUSTOMERS), [project.as_str()], |r| r.get(0))?;
            Ok(CustomerPage { customers, total: total as u64 })
        })
        .await
    }
}

#[async_trait]
impl ActionReads for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn check_ready(&self) -> Result<(), StoreError> {
        let version = self.read(migrate::version).await?;
        if version == migrate::LATEST {
            Ok(())
        } else {
            Err(StoreError::Unavailable(format!(
                "schema version {version}, expected {}",
                migrate::LATEST
            )))
        }
    }

    fn action_changes(&self) -> ActionChanges {
        self.inner.changes.clone()
    }

    fn write_generation(&self) -> Option<u64> {
        let generation = self.inner.write_generation.load(std::sync::atomic::Ordering::Acquire);
        generation.is_multiple_of(2).then_some(generation)
    }

    async fn get_action(
        &self,
        project: &ProjectId,
        id: &ActionId,
    ) -> Result<Option<ActionRecord>, StoreError> {
        let (project, id) = (project.clone(), id.clone());
        self.read_point(move |c| {
            c.prepare_cached(&sql(q::SELECT_ACTION))?
                .query_row(params![project.as_str(), id.as_str()], convert::action)
                .optional()
        })
        .await
    }

    async fn list_actions_before(
        &self,
        project: &ProjectId,
        filter: &ActionFilter,
        before: Option<Timestamp>,
        limit: u32,
    ) -> Result<Vec<ActionRecord>, StoreError> {
        let (project, filter) = (project.clone(), *filter);
        let before = before.map_or(i64::MAX, Timestamp::as_millis);
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&sql(&q::actions_before(&filter)))?;
            let project = project.as_str();
            let mut args: Vec<&dyn rusqlite::ToSql> = vec![&project, &before];
            let limit = i64::from(limit);
            args.push(&limit);
            let values = filter.values();
            args.extend(values.iter().map(|v| v as &dyn rusqlite::ToSql));
            stmt.query_map(args.as_slice(), convert::action)?.collect()
        })
        .await
    }

    async fn list_actions_at(
        &self,
        project: &ProjectId,
        filter: &ActionFilter,
        at: Timestamp,
    ) -> Result<Vec<ActionRecord>, StoreError> {
        let (project, filter) = (project.clone(), *filter);
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&sql(&q::actions_at(&filter)))?;
            let (project, at) = (project.as_str(), at.as_millis());
            let mut args: Vec<&dyn rusqlite::ToSql> = vec![&project, &at];
            let values = filter.values();
            args.extend(values.iter().map(|v| v as &dyn rusqlite::ToSql));
            stmt.query_map(args.as_slice(), convert::action)?.collect()
        })
        .await
    }

    async fn count_actions(&self) -> Result<Vec<ActionCount>, StoreError> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(q::COUNT_ACTIONS)?;
            let rows = stmt.query_map([], convert::action_count)?;
            rows.collect()
        })
        .await
    }

    async fn report_lines(
        &self,
        id: &ActionId,
        after: Option<u64>,
        limit: u32,
    ) -> Result<Vec<ReportLine>, StoreError> {
        let id = id.clone();
        let after = after.map_or(-1, |a| a as i64);
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&sql(q::SELECT_REPORT_LINES))?;
            stmt.query_map(params![id.as_str(), after, i64::from(limit)], convert::report_line)?
                .collect()
        })
        .await
    }

    async fn failed_report_lines(
        &self,
        id: &ActionId,
        limit: u32,
    ) -> Result<Vec<ReportLine>, StoreError> {
        let id = id.clone();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&sql(q::SELECT_FAILED_REPORT_LINES))?;
            stmt.query_map(params![id.as_str(), i64::from(limit)], convert::report_line)?.collect()
        })
        .await
    }
}

#[async_trait]
impl Queue for SqliteStore {
    fn wakeups(&self) -> Wakeups {
        self.inner.wake.clone()
    }

    async fn claim_next(
        &self,
        worker: &str,
        now: Timestamp,
        lease_ms: i64,
    ) -> Result<Option<ClaimedAction>, StoreError> {
        let worker = worker.to_owned();
        let claimed = self
            .write(move |tx| {
                let next: Option<(String, bool)> = tx
                    .prepare_cached(NEXT_RUNNABLE)
                    .and_then(|mut s| {
                        s.query_row(params![now.as_millis()], |r| Ok((r.get(0)?, r.get(1)?)))
                            .optional()
                    })
                    .map_err(error)?;
                let Some((id, lease_expired)) = next else {
                    return Ok(None);
                };
                let expires = now.plus_millis(lease_ms).as_millis();
                let record = tx
                    .prepare_cached(CLAIM)
                    .and_then(|mut s| {
                        s.query_row(params![worker, now.as_millis(), expires, id], convert::action)
                    })
                    .map_err(error)?;
                Ok(Some((record, lease_expired)))
            })
            .await?;
        Ok(claimed.map(|(record, lease_expired)| {
            self.inner.changes.publish(ActionChange::changed(&record.project_id, &record.id));
            ClaimedAction {
                fence: Fence { action_id: record.id.clone(), attempt: record.attempt },
                record,
                lease_expired,
            }
        }))
    }

    async fn extend_lease(
        &self,
        fence: &Fence,
        now: Timestamp,
        lease_ms: i64,
    ) -> Result<(), StoreError> {
        let fence = fence.clone();
        self.write(move |tx| {
            let n = tx
                .exec(
                    &sql(q::EXTEND_LEASE),
                    params![
                        fence.action_id.as_str(),
                        i64::from(fence.attempt),
                        now.plus_millis(lease_ms).as_millis()
                    ],
                )
                .map_err(error)?;
            if n == 0 { Err(lease_lost(&fence)) } else { Ok(()) }
        })
        .await
    }

    async fn release_lease(&self, fence: &Fence, now: Timestamp) -> Result<(), StoreError> {
        let fence = fence.clone();
        self.write(move |tx| {
            tx.exec(
                &sql(q::RELEASE_LEASE),
                params![fence.action_id.as_str(), i64::from(fence.attempt), now.as_millis()],
            )
            .map_err(error)?;
            Ok(())
        })
        .await
    }

    async fn load_payload(&self, id: &ActionId) -> Result<Vec<u8>, StoreError> {
        let id = id.clone();
        self.read(move |c| c.row(&sql(q::SELECT_PAYLOAD), [id.as_str()], |r| r.get(0))).await
    }

    async fn commit_chunk(
        &self,
        fence: &Fence,
        now: Timestamp,
        chunk: ChunkCommit,
    ) -> Result<ChunkCounts, StoreError> {
        let owned = fence.clone();
        let (project, counts) = self.write(move |tx| chunk::commit(tx, &owned, now, chunk)).await?;
        let project = ProjectId::from_string(project);
        self.inner.changes.publish(ActionChange::changed(&project, &fence.action_id));
        Ok(counts)
    }

    async fn set_remaining_items(&self, fence: &Fence, remaining: u64) -> Result<(), StoreError> {
        let fence = fence.clone();
        self.write(move |tx| {
            let n = tx
                .exec(
                    &sql(q::SET_REMAINING_ITEMS),
                    params![fence.action_id.as_str(), i64::from(fence.attempt), remaining as i64],
                )
                .map_err(error)?;
            if n == 0 { Err(lease_lost(&fence)) } else { Ok(()) }
        })
        .await
    }

    async fn finish_action(
        &self,
        fence: &Fence,
        now: Timestamp,
        result: &ActionResult,
        effect: Option<&FinishEffect>,
    ) -> Result<(), StoreError> {
        let owned = fence.clone();
        let status = result.status();
        let result = convert::to_json(result);
        let effect = effect.cloned();
        let project = self
            .write(move |tx| {
                let project = tx
                    .row(
                        &sql(q::FINISH_ACTION),
                        params![
                            owned.action_id.as_str(),
                            i64::from(owned.attempt),
                            status.as_str(),
                            result,
                            now.as_millis()
                        ],
                        |r| r.get::<_, String>(0),
                    )
                    .optional()
                    .map_err(error)?
                    .ok_or_else(|| lease_lost(&owned))?;
                if let Some(effect) = &effect {
                    campaigns::apply_effect(tx, &project, effect, status, now)?;
                }
                webhooks::enqueue_deliveries(tx, &project, owned.action_id.as_str(), status, now)?;
                Ok(project)
            })
            .await?;
        let project = ProjectId::from_string(project);
        self.inner.changes.publish(ActionChange::changed(&project, &fence.action_id));
        Ok(())
    }

    async fn requeue(&self, fence: &Fence, now: Timestamp) -> Result<(), StoreError> {
        let owned = fence.clone();
        let n = self
            .write(move |tx| {
                tx.exec(
                    &sql(q::REQUEUE),
                    params![owned.action_id.as_str(), i64::from(owned.attempt), now.as_millis()],
                )
                .map_err(error)
            })
            .await?;
        if n == 0 { Err(lease_lost(fence)) } else { Ok(()) }
    }

    async fn any_runnable(&self, now: Timestamp) -> Result<bool, StoreError> {
        self.read(move |conn| {
            conn.row(&sql(q::ANY_RUNNABLE), params![now.as_millis()], |_| Ok(()))
                .optional()
                .map(|row| row.is_some())
        })
        .await
    }

    async fn cancel_requested(&self, fence: &Fence) -> Result<bool, StoreError> {
        let owned = fence.clone();
        let row = self
            .read(move |conn| {
                conn.row(
                    &sql(qx::SELECT_CANCEL_REQUESTED),
                    params![owned.action_id.as_str(), i64::from(owned.attempt)],
                    |r| r.get::<_, Option<i64>>(0),
                )
                .optional()
            })
            .await?;
        match row {
            Some(at) => Ok(at.is_some()),
            None => Err(lease_lost(fence)),
        }
    }

    async fn take_maintenance_lease(
        &self,
        name: &str,
        holder: &str,
        now: Timestamp,
        ttl_ms: i64,
    ) -> Result<bool, StoreError> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.write(move |tx| {
            let n = tx
                .exec(
                    &sql(qx::TAKE_MAINTENANCE_LEASE),
                    params![name, holder, now.as_millis(), now.plus_millis(ttl_ms).as_millis()],
                )
                .map_err(error)?;
            Ok(n > 0)
        })
        .await
    }

    async fn prune_finished(&self, before: Timestamp, limit: u32) -> Result<u64, StoreError> {
        self.write(move |tx| {
            let args = params![before.as_millis(), i64::from(limit)];
            tx.exec(&sql(qx::PRUNE_UPLOADS), args).map_err(error)?;
            let n = tx.exec(&sql(qx::PRUNE_ACTIONS), args).map_err(error)?;
            Ok(n as u64)
        })
        .await
    }

    async fn drop_finished_payloads(&self, limit: u32) -> Result<u64, StoreError> {
        self.write(move |tx| {
            let parts = tx
                .exec(&sql(qx::DROP_FINISHED_UPLOADS), params![i64::from(limit)])
                .map_err(error)?;
            let payloads = tx
                .exec(&sql(qx::DROP_FINISHED_PAYLOADS), params![i64::from(limit)])
                .map_err(error)?;
            Ok((parts + payloads) as u64)
        })
        .await
    }
}
