//! `SafetyReports` on the embedded engine: one counter per (day, category,
//! locale, layer), incremented inside one write transaction (redb has one
//! writer at a time, so no count is lost), read by a range over the days.

use super::tables::SAFETY_REPORT;
use super::{EmbeddedStore, unavailable};
use crate::domain::safety_report::{Referral, ReferralCount};
use crate::ports::{SafetyReports, StoreError};
use async_trait::async_trait;
use chrono::NaiveDate;
use redb::{ReadableDatabase, ReadableTable};

#[async_trait]
impl SafetyReports for EmbeddedStore {
    async fn count_referral(&self, referral: &Referral) -> Result<(), StoreError> {
        let referral = *referral;
        self.run(move |db| {
            let day = referral.day.to_string();
            let key = (
                day.as_str(),
                referral.category.as_str(),
                referral.locale,
                referral.layer,
            );
            let tx = db.begin_write().map_err(unavailable)?;
            {
                let mut table = tx.open_table(SAFETY_REPORT).map_err(unavailable)?;
                let count = table
                    .get(key)
                    .map_err(unavailable)?
                    .map_or(0, |v| v.value());
                table.insert(key, count + 1).map_err(unavailable)?;
            }
            tx.commit().map_err(unavailable)
        })
        .await
    }

    async fn referral_counts(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<ReferralCount>, StoreError> {
        self.run(move |db| {
            let (from, to) = (from.to_string(), to.to_string());
            let tx = db.begin_read().map_err(unavailable)?;
            let table = tx.open_table(SAFETY_REPORT).map_err(unavailable)?;
            // Every key of a day sorts after (day, "", "", "") and before
            // the next day's.
            let range = table
                .range((from.as_str(), "", "", "")..=(to.as_str(), "\u{10FFFF}", "", ""))
                .map_err(unavailable)?;
            let mut out = Vec::new();
            for row in range {
                let (k, v) = row.map_err(unavailable)?;
                let (day, category, locale, layer) = k.value();
                let day = day
                    .parse()
                    .map_err(|_| StoreError::Corrupt(format!("a report day {day:?}")))?;
                out.push(ReferralCount {
                    day,
                    category: category.to_owned(),
                    locale: locale.to_owned(),
                    layer: layer.to_owned(),
                    count: v.value(),
                });
            }
            Ok(out)
        })
        .await
    }
}
