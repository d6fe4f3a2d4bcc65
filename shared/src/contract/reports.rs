//! The safety report's counters: each referral counted once under its day,
//! category, locale and layer, concurrent referrals losing no count, and a
//! range read returning its days only.

use crate::domain::safety::CrisisCategory;
use crate::domain::safety_report::{Referral, ReferralCount};
use crate::ports::SafetyReports;
use chrono::NaiveDate;
use std::sync::Arc;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

fn referral(
    d: u32,
    category: CrisisCategory,
    locale: &'static str,
    layer: &'static str,
) -> Referral {
    Referral {
        day: day(d),
        category,
        locale,
        layer,
    }
}

fn row(d: u32, category: &str, locale: &str, layer: &str, count: u64) -> ReferralCount {
    ReferralCount {
        day: day(d),
        category: category.into(),
        locale: locale.into(),
        layer: layer.into(),
        count,
    }
}

pub async fn referrals_are_counted_by_day_category_locale_and_layer<S>(store: Arc<S>)
where
    S: SafetyReports + ?Sized,
{
    use CrisisCategory::{DangerNow, Suicidal};
    for r in [
        referral(1, Suicidal, "en-US", "rules"),
        referral(2, Suicidal, "en-US", "rules"),
        referral(2, Suicidal, "en-US", "rules"),
        referral(2, Suicidal, "en-US", "classifier"),
        referral(2, DangerNow, "es-MX", "model_mark"),
        referral(3, Suicidal, "en-GB", "conversation"),
        referral(4, Suicidal, "en-US", "rules"),
    ] {
        store.count_referral(&r).await.unwrap();
    }
    let mut counts = store.referral_counts(day(2), day(3)).await.unwrap();
    counts.sort();
    let mut expected = vec![
        row(2, "suicidal", "en-US", "rules", 2),
        row(2, "suicidal", "en-US", "classifier", 1),
        row(2, "danger_now", "es-MX", "model_mark", 1),
        row(3, "suicidal", "en-GB", "conversation", 1),
    ];
    expected.sort();
    assert_eq!(counts, expected, "days 2 and 3 only, each counter once");
    assert!(
        store
            .referral_counts(day(5), day(30))
            .await
            .unwrap()
            .is_empty(),
        "no counter on days with no referral"
    );
}

pub async fn concurrent_referrals_lose_no_count<S>(store: Arc<S>)
where
    S: SafetyReports + ?Sized + 'static,
{
    let r = referral(9, CrisisCategory::SelfHarm, "de-DE", "rules");
    let writes = (0..12).map(|_| {
        let store = Arc::clone(&store);
        tokio::spawn(async move { store.count_referral(&r).await })
    });
    for w in writes.collect::<Vec<_>>() {
        w.await.unwrap().unwrap();
    }
    assert_eq!(
        store.referral_counts(day(9), day(9)).await.unwrap(),
        vec![row(9, "self_harm", "de-DE", "rules", 12)]
    );
}
