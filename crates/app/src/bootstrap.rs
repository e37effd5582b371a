//! First-start set-up: the default catalog of DOMAIN §2–§3 (groups, categories, customer
//! levels, the 4-level grading scheme), written once into an empty database.

use aftersales_domain::catalog::{Category, DEFAULT_CATEGORIES, DEFAULT_GROUPS, Group};
use aftersales_domain::customer::default_levels;
use aftersales_domain::grading::GradingScheme;
use aftersales_storage::{catalog, directory};

use crate::{App, Result};

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
        if catalog::grading_scheme(&*tx).await?.levels.is_empty() {
            catalog::replace_grading_scheme(&*tx, &GradingScheme::default_four_level()).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
