//! `SafetyReports` on the fake: counters in one map, apart from anyone's data.

use super::FakeStore;
use crate::domain::safety_report::{Referral, ReferralCount};
use crate::ports::{SafetyReports, StoreError};
use async_trait::async_trait;
use chrono::NaiveDate;

#[async_trait]
impl SafetyReports for FakeStore {
    async fn count_referral(&self, referral: &Referral) -> Result<(), StoreError> {
        let mut state = self.enter("count_referral")?;
        let key = (
            referral.day,
            referral.category.as_str().to_owned(),
            referral.locale.to_owned(),
            referral.layer.to_owned(),
        );
        *state.reports.entry(key).or_default() += 1;
        Ok(())
    }

    async fn referral_counts(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<ReferralCount>, StoreError> {
        let state = self.enter("referral_counts")?;
        Ok(state
            .reports
            .iter()
            .filter(|((day, ..), _)| *day >= from && *day <= to)
            .map(|((day, category, locale, layer), count)| ReferralCount {
                day: *day,
                category: category.clone(),
                locale: locale.clone(),
                layer: layer.clone(),
                count: *count,
            })
            .collect())
    }
}
