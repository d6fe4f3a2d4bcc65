//! `SafetyReports` on DynamoDB: one item per UTC day in the partition
//! `REPORT#safety` (no person's), each counter an attribute
//! `n#<category>#<locale>#<layer>`. A referral is one UpdateItem `ADD` of 1
//! to its attribute (atomic, creating the item and the attribute at 0 when
//! missing), with no read first; a range of days is one Query on the
//! partition (`SK BETWEEN D#from AND D#to`), paged. The layout is in
//! docs/data-model.md.

use super::DynamoStore;
use super::keys::{REPORT_COUNTER, SAFETY_REPORT, report_day_sk};
use super::plumbing::{get_s, n, s, sdk};
use super::schema::{PK, SK};
use crate::domain::safety_report::{Referral, ReferralCount};
use crate::ports::{SafetyReports, StoreError};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::NaiveDate;

#[async_trait]
impl SafetyReports for DynamoStore {
    async fn count_referral(&self, referral: &Referral) -> Result<(), StoreError> {
        let counter = format!(
            "{REPORT_COUNTER}{}#{}#{}",
            referral.category.as_str(),
            referral.locale,
            referral.layer
        );
        self.client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(SAFETY_REPORT))
            .key(SK, s(report_day_sk(referral.day)))
            .update_expression("ADD #c :one")
            .expression_attribute_names("#c", counter)
            .expression_attribute_values(":one", n(1))
            .send()
            .await
            .map_err(sdk)?;
        Ok(())
    }

    async fn referral_counts(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<ReferralCount>, StoreError> {
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk AND SK BETWEEN :from AND :to")
                .expression_attribute_values(":pk", s(SAFETY_REPORT))
                .expression_attribute_values(":from", s(report_day_sk(from)))
                .expression_attribute_values(":to", s(report_day_sk(to)))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(sdk)?;
            for item in page.items.unwrap_or_default() {
                let sk = get_s(&item, SK)?;
                let day = sk
                    .strip_prefix(super::keys::REPORT_DAY)
                    .and_then(|d| d.parse().ok())
                    .ok_or_else(|| StoreError::Corrupt(format!("a report day {sk:?}")))?;
                for (name, value) in &item {
                    let Some(key) = name.strip_prefix(REPORT_COUNTER) else {
                        continue;
                    };
                    let mut parts = key.splitn(3, '#');
                    let (Some(category), Some(locale), Some(layer)) =
                        (parts.next(), parts.next(), parts.next())
                    else {
                        return Err(StoreError::Corrupt(format!("a report counter {name:?}")));
                    };
                    let count = match value {
                        AttributeValue::N(v) => v
                            .parse()
                            .map_err(|_| StoreError::Corrupt(format!("{name} is not a count")))?,
                        _ => return Err(StoreError::Corrupt(format!("{name} is not a count"))),
                    };
                    out.push(ReferralCount {
                        day,
                        category: category.to_owned(),
                        locale: locale.to_owned(),
                        layer: layer.to_owned(),
                        count,
                    });
                }
            }
            match page.last_evaluated_key {
                Some(k) => start = Some(k),
                None => break,
            }
        }
        out.sort();
        Ok(out)
    }
}
