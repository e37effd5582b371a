//! First-start set-up: the default catalog of DOMAIN §2–§3 (groups, categories, customer
//! levels, the 4-level grading scheme), the `cn` calendar with China's holidays and the seed
//! service policy (§4), written once into an empty database.

use aftersales_domain::calendar::{CalendarSpec, HolidaySet};
use aftersales_domain::catalog::{Category, DEFAULT_CATEGORIES, DEFAULT_GROUPS, Group};
use aftersales_domain::clock::ServicePolicy;
use aftersales_domain::customer::default_levels;
use aftersales_domain::grading::GradingScheme;
use aftersales_storage::{catalog, directory, policy};

use crate::clocks::DEFAULT_CALENDAR;
use crate::{App, Result};

/// The setting that records the start-up backfills done (see [`App::ensure_defaults`]), and
/// the last migration whose backfill they include: a later migration that needs one at
/// start bumps the version, and the next start runs the backfills again.
const BACKFILLED: &str = "backfilled";
const BACKFILLED_THROUGH: &str = "m0020";

impl App {
    /// Seeds the default catalog where it is empty; leaves an edited catalog alone.
    pub async fn ensure_defaults(&self) -> Result<()> {
        let tx = self.store.write().await?;
        if directory::levels(&*tx).await?.is_empty() {
            for level in default_levels() {
                directory::upsert_level(&*tx, &level).await?;
            }
        }
        if catalog::groups(&*tx).await?.is_empty() {
            let mut ids = Vec::new();
            for (code, zh, en) in DEFAULT_GROUPS {
                let g = Group { id: 0, code: (*code).into(), name_zh: (*zh).into(), name_en: (*en).into() };
                ids.push((*code, catalog::insert_group(&*tx, &g).await?));
            }
            if catalog::categories(&*tx).await?.is_empty() {
                for (family, code, zh, en, group) in DEFAULT_CATEGORIES {
                    let group_id = ids.iter().find(|(g, _)| g == group).map(|(_, id)| *id);
                    let c = Category {
                        id: 0,
                        family: *family,
                        code: (*code).into(),
                        name_zh: (*zh).into(),
                        name_en: (*en).into(),
                        group_id,
                        active: true,
                    };
                    catalog::insert_category(&*tx, &c).await?;
                }
            }
        }
        // The migration seeds them too; a wiped database (`aftersales demo --yes`) gets them here.
        if aftersales_storage::work_orders::departments(&*tx).await?.is_empty() {
            for (i, (code, zh, en)) in aftersales_domain::work_order::DEFAULT_DEPARTMENTS.iter().enumerate() {
                let d = aftersales_domain::work_order::Department {
                    id: 0,
                    code: (*code).into(),
                    name_zh: (*zh).into(),
                    name_en: (*en).into(),
                    active: true,
                    position: i as i32 + 1,
                };
                aftersales_storage::work_orders::insert_department(&*tx, &d).await?;
            }
        }
        if catalog::grading_scheme(&*tx).await?.levels.is_empty() {
            catalog::replace_grading_scheme(&*tx, &GradingScheme::default_four_level()).await?;
        }
        // DOMAIN §4: the `cn` calendar with China's official holidays, and the seed policy.
        if policy::holiday_sets(&*tx).await?.iter().all(|s| s.name != "cn") {
            policy::put_holiday_set(&*tx, &HolidaySet::cn(), self.now()).await?;
        }
        if policy::calendars(&*tx).await?.iter().all(|c| c.name != DEFAULT_CALENDAR) {
            policy::put_calendar(&*tx, &CalendarSpec::cn_default(), self.now()).await?;
        }
        if policy::current_policy(&*tx).await?.is_none() {
            let scheme = catalog::grading_scheme(&*tx).await?;
            policy::insert_policy(&*tx, &ServicePolicy::seed(&scheme), None, self.now()).await?;
        }
        tx.commit().await?;
        // Tickets from before clocks (m0002) and report facts (m0020) get theirs once; each
        // search reads every ticket, so a database that has been through it says so and is
        // not searched again at each start (issue 18: start-up under 2 s on a million
        // tickets). Every ticket registered since has both from its first transaction.
        let done = aftersales_storage::visits::setting(self.store.read(), BACKFILLED).await?;
        if done.as_deref() != Some(BACKFILLED_THROUGH) {
            self.backfill_clocks().await?;
            self.backfill_facts().await?;
            let tx = self.store.write().await?;
            aftersales_storage::visits::put_setting(&*tx, BACKFILLED, BACKFILLED_THROUGH).await?;
            tx.commit().await?;
        }
        Ok(())
    }
}
