//! Campaigns: create (names unique per project), lookups by id or name, replacement, pages,
//! project isolation, and vouchers written with a campaign id listed under it.

use std::sync::Arc;

use cv_domain::{
    Campaign, Metadata,
    campaign::{CampaignMode, CampaignType, GenerationStatus, VoucherTemplate, new_campaign_id},
    code_config::CodeConfig,
    voucher::{Gift, VoucherType},
};

use cv_store::{Store, StoreError};

use super::{project, t};

pub(super) fn gift_campaign(name: &str, at: i64) -> Campaign {
    Campaign {
        id: new_campaign_id(),
        name: name.to_owned(),
        campaign_type: CampaignType::GiftVouchers,
        mode: CampaignMode::AutoUpdate,
        voucher: VoucherTemplate {
            kind: VoucherType::GiftVoucher,
            discount: None,
            gift: Some(Gift { amount: 1000, balance: 1000 }),
            loyalty_card: None,
            code_config: CodeConfig { prefix: Some("G-".into()), ..CodeConfig::default() },
            redemption_quantity: None,
        },
        vouchers_count: 0,
        generation_status: GenerationStatus::InProgress,
        description: None,
        category: None,
        start_date: None,
        expiration_date: None,
        active: true,
        metadata: Metadata::new(),
        created_at: t(at),
        updated_at: None,
    }
}

/// Campaigns round-trip by id and by name; a repeated name conflicts within a project but
/// not across projects; updates replace the body; pages are newest first; campaign vouchers
/// are listed under their campaign.
pub async fn campaigns_round_trip(store: Arc<dyn Store>) {
    let p = project(&*store, "default").await;
    let q = project(&*store, "other").await;
    let first = gift_campaign("Summer", 1);
    store.create_campaign(&p, &first).await.expect("create");
    let again = store.create_campaign(&p, &gift_campaign("Summer", 2)).await;
    assert!(matches!(again, Err(StoreError::Conflict { .. })), "{again:?}");
    store.create_campaign(&q, &gift_campaign("Summer", 2)).await.expect("other project");
    let second = gift_campaign("Winter", 3);
    store.create_campaign(&p, &second).await.expect("create second");

    assert_eq!(store.get_campaign(&p, &first.id).await.expect("get"), Some(first.clone()));
    assert_eq!(store.get_campaign(&p, "Summer").await.expect("by name"), Some(first.clone()));
    assert_eq!(store.get_campaign(&q, &first.id).await.expect("isolated"), None);

    let mut done = first.clone();
    done.vouchers_count = 2;
    done.generation_status = GenerationStatus::Done;
    assert!(store.update_campaign(&p, &done).await.expect("update"));
    assert!(!store.update_campaign(&q, &done).await.expect("update elsewhere"));
    assert_eq!(store.get_campaign(&p, "Summer").await.expect("get"), Some(done.clone()));

    let page = store.list_campaigns(&p, 1, 1).await.expect("list");
    assert_eq!(page.total, 2);
    assert_eq!(page.campaigns, vec![second]);
    let page = store.list_campaigns(&p, 1, 2).await.expect("list 2");
    assert_eq!(page.campaigns, vec![done.clone()]);

    let records = ["G-1", "G-2"].map(|c| done.voucher.record(c.to_owned(), &done.id)).to_vec();
    store.import_vouchers(&p, records, false, t(4)).await.expect("import");
    let listed = store.list_vouchers(&p, Some(&done.id), 10, 1).await.expect("vouchers");
    assert_eq!(listed.total, 2);
    assert!(listed.vouchers.iter().all(|v| v.campaign_id.as_deref() == Some(done.id.as_str())));
    assert_eq!(listed.vouchers[0].gift, Some(Gift { amount: 1000, balance: 1000 }));
}
