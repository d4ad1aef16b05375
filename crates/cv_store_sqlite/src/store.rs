//! The core of the store on SQLite: `Resources` and `ActionReads` (the engine's `Queue` is in `queue.rs`).

use async_trait::async_trait;
use cv_domain::{
    ActionId, Customer, CustomerId, CustomerPatch, ProjectId, Timestamp,
    ids::random_secret,
    metadata_schema::{MetadataResource, MetadataSchema},
};
use cv_store::{
    ActionChange, ActionChanges, ActionCount, ActionFilter, ActionReads, ActionRecord,
    CustomerPage, Item, MetadataSchemaRecord, NewAction, ReportLine, Resources, StoreError,
    sql as q,
};
use rusqlite::{OptionalExtension, params};

use crate::convert::Cached as _;
use crate::{
    SqliteStore,
    chunk::{apply_customer_items, write_customer},
    convert::{self, error, sql},
    migrate,
};

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
