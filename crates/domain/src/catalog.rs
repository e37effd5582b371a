//! Handling groups and problem categories (DOMAIN §2): editable lists, seeded with the
//! defaults of the seeds. A category names the group that handles it, which is how
//! dispatch picks the group (the mapping is data an administrator edits).

use serde::{Deserialize, Serialize};

use crate::Id;
use crate::coded_enum;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Group {
    pub id: Id,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
}

coded_enum! {
    /// Which list a category belongs to (the seeds each bring their own).
    pub enum CategoryFamily {
        Handling = ("handling", "按处理组", "By handling group"),
        Consumables = ("consumables", "耗材服务", "Consumables service"),
        QuickResponse = ("quick_response", "快速响应", "Quick response"),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Category {
    pub id: Id,
    pub family: CategoryFamily,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// The group that handles this category (editable mapping).
    pub group_id: Option<Id>,
    pub active: bool,
}

/// Default groups: (code, 中文, English).
pub const DEFAULT_GROUPS: &[(&str, &str, &str)] = &[
    ("hardware", "硬件组", "Hardware"),
    ("software", "软件组", "Software"),
    ("training", "培训组", "Training"),
    ("service", "客服组", "Service desk"),
];

/// Default categories (DOMAIN §2): (family, code, 中文, English, group code).
pub const DEFAULT_CATEGORIES: &[(CategoryFamily, &str, &str, &str, &str)] = &[
    (CategoryFamily::Handling, "hardware_fault", "硬件故障", "Hardware fault", "hardware"),
    (CategoryFamily::Handling, "software_bug", "软件问题", "Software bug", "software"),
    (CategoryFamily::Handling, "operation_guidance", "操作指导", "Operation guidance", "training"),
    (CategoryFamily::Consumables, "paper_jam", "卡纸", "Paper jam", "hardware"),
    (CategoryFamily::Consumables, "device_failure", "设备故障", "Device failure", "hardware"),
    (CategoryFamily::Consumables, "drum_toner", "鼓粉故障", "Drum/toner fault", "hardware"),
    (CategoryFamily::Consumables, "configuration", "配置问题", "Configuration", "software"),
    (CategoryFamily::Consumables, "logistics", "物流配送", "Logistics", "service"),
    (CategoryFamily::Consumables, "other", "其他", "Other", "service"),
    (CategoryFamily::QuickResponse, "product_quality", "产品质量", "Product quality", "hardware"),
    (CategoryFamily::QuickResponse, "function_fault", "功能故障", "Function fault", "software"),
    (CategoryFamily::QuickResponse, "logistics_delay", "物流延迟", "Logistics delay", "service"),
    (CategoryFamily::QuickResponse, "service_attitude", "服务态度", "Service attitude", "service"),
    (CategoryFamily::QuickResponse, "consultation", "操作咨询", "Consultation", "training"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_category_maps_to_a_default_group() {
        for (_, code, _, _, group) in DEFAULT_CATEGORIES {
            assert!(DEFAULT_GROUPS.iter().any(|(g, _, _)| g == group), "{code} → {group}");
        }
    }
}
