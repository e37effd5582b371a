//! Who works with the system (DOMAIN §1).

use crate::coded_enum;

coded_enum! {
    /// A user's role. One per user; the permission table in [`crate::permission`] says
    /// what each may do.
    pub enum Role {
        DeskAgent = ("desk_agent", "客服专员", "Service desk agent"),
        Dispatcher = ("dispatcher", "调度专员", "Dispatcher"),
        Supervisor = ("supervisor", "服务主管", "Service supervisor"),
        FirstLineEngineer = ("first_line_engineer", "一线工程师", "First-line engineer"),
        SecondLineEngineer = ("second_line_engineer", "二线工程师", "Second-line engineer"),
        TechLead = ("tech_lead", "技术组长", "Tech lead"),
        ProjectSpecialist = ("project_specialist", "项目专员", "Project specialist"),
        ProjectManager = ("project_manager", "项目经理", "Project manager"),
        GeneralManager = ("general_manager", "总经理", "General manager"),
        TechnicalDirector = ("technical_director", "技术总监", "Technical director"),
        DataSpecialist = ("data_specialist", "数据专员", "Data specialist"),
        /// Keeps the spare-parts warehouses: receives, issues, transfers and counts stock.
        PartsKeeper = ("parts_keeper", "备件管理员", "Parts keeper"),
        CustomerContact = ("customer_contact", "客户联系人", "Customer contact"),
        Admin = ("admin", "管理员", "Administrator"),
    }
}

coded_enum! {
    /// Support line of an engineer: dispatch suggests first-line before second-line.
    pub enum Line {
        First = ("first", "一线", "First line"),
        Second = ("second", "二线", "Second line"),
    }
}

impl Role {
    /// The support line of an engineering role; `None` for everyone else.
    pub fn line(self) -> Option<Line> {
        match self {
            Role::FirstLineEngineer => Some(Line::First),
            Role::SecondLineEngineer | Role::TechLead => Some(Line::Second),
            _ => None,
        }
    }

    /// Staff of the service organization, as opposed to a customer's contact.
    pub fn is_staff(self) -> bool {
        self != Role::CustomerContact
    }
}
