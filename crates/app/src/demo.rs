//! The demo organization: a service desk in China with three regions, customers, devices,
//! staff of every role and three months of ticket history ending now.
//!
//! Everything is created through the real use cases, so every ticket's history consists of
//! genuine events. The generator first plans each ticket's steps with their times (seeded,
//! so the same seed gives the same organization), merges the steps of all tickets into one
//! chronological list, and then executes them with a clock that is moved to each step's
//! time. Steps planned after "now" are dropped, which leaves the most recent tickets open.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use aftersales_domain::clock::SurveyResult;
use aftersales_domain::customer::{ContactInput, CustomerInput, DeviceInput};
use aftersales_domain::registration::Registration;
use aftersales_domain::role::Role;
use aftersales_domain::ticket::{CancelReason, Channel, ClosureMethod, Department, Kind, Status, Ticket};
use aftersales_domain::user::UserInput;
use aftersales_domain::worklog::LogKind;
use aftersales_domain::{Id, Timestamp};
use aftersales_storage::{StorageError, Store};
use jiff::civil::Date;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::tickets::Command;
use crate::{Actor, App, AppError, Outcome, Result};

/// The password of every demo user.
pub const DEMO_PASSWORD: &str = "demo1234";

/// A ready-made sign-in for one demo user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemoLogin {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// An API token for this user.
    pub token: String,
}

/// What [`App::create_demo`] created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemoSummary {
    pub password: String,
    /// One user of each role, with an API token.
    pub logins: Vec<DemoLogin>,
    pub customers: usize,
    pub devices: usize,
    pub engineers: usize,
    pub tickets: usize,
    /// Planned steps the use cases refused (0 unless a rule changed under the generator).
    pub skipped_steps: usize,
}

/// Deletes every row of every table, children before parents, in one transaction
/// (`aftersales demo` resets the demo; the caller then runs `ensure_defaults` and
/// [`App::create_demo`] again).
pub async fn wipe(store: &Store) -> Result<()> {
    aftersales_storage::maintenance::wipe_all(store).await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Data tables
// ---------------------------------------------------------------------------------------

/// A staff member: (username, display name, role, region, handling group code).
type StaffRow = (&'static str, &'static str, Role, Option<&'static str>, Option<&'static str>);

const STAFF: &[StaffRow] = &[
    ("admin", "系统管理员", Role::Admin, None, None),
    ("desk1", "刘晓雯", Role::DeskAgent, None, None),
    ("desk2", "陈佳怡", Role::DeskAgent, None, None),
    ("desk3", "周敏", Role::DeskAgent, None, None),
    ("dispatch1", "王志强", Role::Dispatcher, None, None),
    ("supervisor1", "李建国", Role::Supervisor, None, None),
    ("specialist1", "赵丽娜", Role::ProjectSpecialist, Some("华东"), None),
    ("specialist2", "黄俊杰", Role::ProjectSpecialist, Some("华南"), None),
    ("specialist3", "孙婷", Role::ProjectSpecialist, Some("华北"), None),
    ("pm1", "吴海峰", Role::ProjectManager, None, None),
    ("gm1", "郑国华", Role::GeneralManager, None, None),
    ("techdir1", "钱立明", Role::TechnicalDirector, None, None),
    ("data1", "冯雪", Role::DataSpecialist, None, None),
    ("eng.zhang", "张伟", Role::FirstLineEngineer, Some("华东"), Some("hardware")),
    ("eng.wang", "王磊", Role::FirstLineEngineer, Some("华东"), Some("hardware")),
    ("eng.li", "李强", Role::FirstLineEngineer, Some("华南"), Some("hardware")),
    ("eng.chen", "陈杰", Role::FirstLineEngineer, Some("华南"), Some("hardware")),
    ("eng.liu", "刘洋", Role::FirstLineEngineer, Some("华北"), Some("hardware")),
    ("eng.yang", "杨帆", Role::FirstLineEngineer, Some("华北"), Some("hardware")),
    ("eng.huang", "黄海涛", Role::SecondLineEngineer, Some("华东"), Some("hardware")),
    ("eng.song", "宋涛", Role::SecondLineEngineer, Some("华北"), Some("hardware")),
    ("eng.zhao", "赵刚", Role::TechLead, Some("华南"), Some("hardware")),
    ("eng.xu", "徐明", Role::FirstLineEngineer, Some("华东"), Some("software")),
    ("eng.sun", "孙浩", Role::FirstLineEngineer, Some("华南"), Some("software")),
    ("eng.hu", "胡斌", Role::FirstLineEngineer, Some("华北"), Some("software")),
    ("eng.zhu", "朱文博", Role::SecondLineEngineer, Some("华东"), Some("software")),
    ("eng.gao", "高峰", Role::TechLead, Some("华北"), Some("software")),
    ("eng.lin", "林静", Role::FirstLineEngineer, Some("华东"), Some("training")),
    ("eng.he", "何雅琪", Role::FirstLineEngineer, Some("华南"), Some("training")),
    ("eng.guo", "郭晨", Role::FirstLineEngineer, Some("华北"), Some("training")),
    ("eng.ma", "马晓东", Role::FirstLineEngineer, Some("华东"), Some("service")),
    ("eng.luo", "罗丹", Role::FirstLineEngineer, Some("华南"), Some("service")),
];

/// The users whose tokens the summary hands out (one per role; the customer contact is added).
const LOGINS: &[&str] = &[
    "desk1",
    "dispatch1",
    "supervisor1",
    "eng.zhang",
    "eng.huang",
    "eng.zhao",
    "specialist1",
    "pm1",
    "gm1",
    "techdir1",
    "data1",
    "admin",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Profile {
    /// Offices, hospitals, schools: copiers and printers.
    Office,
    /// Manufacturers: production lines plus office devices.
    Factory,
    /// Print shops and design institutes: wide-format printers.
    Print,
}

/// Customers: (name, short name, region, level, profile, e-mail domain, has a designated window).
const CUSTOMERS: &[(&str, &str, &str, &str, Profile, &str, bool)] = &[
    ("上海华信精密机械有限公司", "华信精密", "华东", "A", Profile::Factory, "hxjm.com.cn", true),
    ("上海浦江律师事务所", "浦江律所", "华东", "C", Profile::Office, "pujianglaw.cn", false),
    ("杭州云栖数据科技有限公司", "云栖数据", "华东", "B", Profile::Office, "yunqidata.com", false),
    ("苏州明德医院", "明德医院", "华东", "A", Profile::Office, "mdhospital.org.cn", true),
    ("南京金陵印务有限公司", "金陵印务", "华东", "B", Profile::Print, "jlprint.com.cn", false),
    ("宁波东海汽车零部件有限公司", "东海汽配", "华东", "A", Profile::Factory, "dhauto.com.cn", false),
    ("上海申城国际物流有限公司", "申城物流", "华东", "C", Profile::Office, "scintl.com.cn", false),
    ("无锡太湖新材料股份有限公司", "太湖新材", "华东", "B", Profile::Factory, "thxc.com.cn", true),
    ("深圳前海智联电子有限公司", "智联电子", "华南", "A", Profile::Factory, "zl-elec.com", true),
    ("广州天河会计师事务所", "天河会计", "华南", "C", Profile::Office, "thcpa.cn", false),
    ("东莞长盛精密模具有限公司", "长盛模具", "华南", "B", Profile::Factory, "csmould.com.cn", false),
    ("佛山南海家居制造有限公司", "南海家居", "华南", "B", Profile::Factory, "nhjiaju.com", false),
    ("广州岭南建筑设计院有限公司", "岭南设计", "华南", "A", Profile::Print, "lnsjy.com.cn", true),
    ("深圳鹏城信息技术有限公司", "鹏城信息", "华南", "C", Profile::Office, "pcit.com.cn", false),
    ("珠海海湾医疗器械有限公司", "海湾医疗", "华南", "B", Profile::Factory, "hwmed.com.cn", false),
    ("汕头潮韵食品有限公司", "潮韵食品", "华南", "C", Profile::Factory, "chaoyunfood.com", false),
    ("北京中关村创新园管理有限公司", "中关村园区", "华北", "A", Profile::Office, "zgcpark.com.cn", true),
    ("北京京华印刷包装有限公司", "京华印包", "华北", "B", Profile::Print, "jhprint.com.cn", false),
    ("天津滨海重工机械有限公司", "滨海重工", "华北", "A", Profile::Factory, "bhzg.com.cn", false),
    ("北京朝阳仁和医院", "仁和医院", "华北", "B", Profile::Office, "renhehosp.cn", true),
    ("石家庄华药装备有限公司", "华药装备", "华北", "B", Profile::Factory, "hyzb.com.cn", false),
    ("天津港湾国际货运代理有限公司", "港湾货代", "华北", "C", Profile::Office, "gwfreight.cn", false),
    ("北京燕园教育培训学校", "燕园教育", "华北", "C", Profile::Office, "yanyuanedu.cn", false),
    ("太原晋阳钢结构有限公司", "晋阳钢构", "华北", "B", Profile::Factory, "jygg.com.cn", true),
];

/// Contact people: (surname in pinyin, name).
#[rustfmt::skip]
const PEOPLE: &[(&str, &str)] = &[
    ("wang", "王秀英"), ("li", "李国栋"), ("zhang", "张丽华"), ("liu", "刘建军"), ("chen", "陈晓燕"),
    ("yang", "杨志远"), ("zhao", "赵敏"), ("huang", "黄文斌"), ("zhou", "周海燕"), ("wu", "吴俊"), ("xu", "徐静"),
    ("sun", "孙立新"), ("hu", "胡雪梅"), ("zhu", "朱宏伟"), ("gao", "高秀兰"), ("lin", "林志强"), ("he", "何丽娟"),
    ("guo", "郭建华"), ("ma", "马文杰"), ("luo", "罗春梅"), ("liang", "梁伟明"), ("song", "宋佳"), ("zheng", "郑晓东"),
    ("xie", "谢玉兰"), ("han", "韩磊"), ("tang", "唐红霞"), ("feng", "冯志刚"), ("yu", "于海洋"), ("dong", "董美玲"),
    ("xiao", "萧振宇"), ("cheng", "程雪"), ("cao", "曹永强"), ("yuan", "袁丽"), ("deng", "邓卫东"), ("fu", "付晓明"),
    ("shen", "沈佳琪"), ("peng", "彭建平"), ("lu", "陆芳"), ("jiang", "蒋涛"), ("cai", "蔡雅婷"), ("jia", "贾志国"),
    ("ding", "丁慧"), ("wei", "魏光明"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    /// Multifunction copiers.
    Mfp,
    /// Office laser printers.
    Printer,
    /// Wide-format inkjet printers.
    Wide,
    /// Industrial label printers.
    Label,
    /// PLC-controlled production lines.
    Plc,
    /// CNC machining centres.
    Cnc,
}

use Family as F;

/// Device models: (model, family, consumable model, serial number prefix).
const MODELS: &[(&str, Family, Option<&str>, &str)] = &[
    ("bizhub C300i", Family::Mfp, Some("TN328K"), "AA2J"),
    ("bizhub 558e", Family::Mfp, Some("TN514"), "A61F"),
    ("imageRUNNER ADVANCE DX C3826", Family::Mfp, Some("NPG-103"), "XWQ"),
    ("imageRUNNER 2630", Family::Mfp, Some("NPG-84"), "XNK"),
    ("RICOH IM C3000", Family::Mfp, Some("IM C3500H"), "3108R"),
    ("Apeos C3570", Family::Mfp, Some("CT203501"), "FX35"),
    ("HP LaserJet M607", Family::Printer, Some("CF237A"), "PHBC"),
    ("HP Color LaserJet Pro M454dw", Family::Printer, Some("W2040A"), "VNB3"),
    ("Brother HL-L6200DW", Family::Printer, Some("TN-3435"), "E73K"),
    ("Epson SureColor T5485", Family::Wide, Some("T41F 墨盒"), "X4EP"),
    ("Epson SureColor P8580D", Family::Wide, Some("T54X 墨盒"), "X7KP"),
    ("Zebra ZT411", Family::Label, Some("110mm×300m 蜡基碳带"), "99J21"),
    ("SIMATIC S7-1500 CPU 1516-3 PN/DP", Family::Plc, None, "S7C"),
    ("三菱 MELSEC iQ-F FX5U-64MR", Family::Plc, None, "FX5U"),
    ("FANUC 0i-MF Plus 立式加工中心", Family::Cnc, None, "F0IMF"),
    ("FANUC ROBODRILL α-D21MiB5", Family::Cnc, None, "RBD21"),
    ("HEIDENHAIN TNC 640 五轴加工中心", Family::Cnc, None, "TNC64"),
];

/// Faults: (family, fault code, category code, priority rank, spare part, description, plan, resolution).
type Fault = (Family, &'static str, &'static str, i32, Option<&'static str>, &'static str, &'static str, &'static str);

#[rustfmt::skip]
const FAULTS: &[Fault] = &[
    (F::Mfp, "J-7012", "paper_jam", 3, Some("分页垫"), "复印时第二纸盒卡纸，面板报警 J-7012，每天出现五次以上", "上门检查第二纸盒搓纸组件与分页垫", "清洁第二纸盒搓纸轮并更换分页垫，调整纸盒导板，连续复印 200 张无卡纸"),
    (F::Mfp, "C2557", "device_failure", 2, Some("定影单元"), "定影单元异常，面板报警 C2557，整机无法进入待机", "携带定影单元上门检测并更换", "更换定影单元，校准定影温度，复印、打印测试均正常"),
    (F::Mfp, "C-3101", "device_failure", 2, None, "开机后报定影加热故障 C-3101，所有打印任务挂起", "上门检查定影加热回路与热敏电阻", "定影热敏电阻接触不良，重新固定并清洁触点，加热恢复正常，连续打印测试通过"),
    (F::Mfp, "T-12", "drum_toner", 3, Some("成像单元（青）"), "彩色复印偏色，青色缺失，面板提示碳粉识别异常 T-12", "检查碳粉芯片与青色成像单元", "更换青色成像单元并执行色彩校准，测试页色彩正常"),
    (F::Mfp, "P-27", "drum_toner", 3, Some("感光鼓组件"), "复印件底灰严重并有纵向黑线，面板提示更换感光鼓 P-27", "上门检查感光鼓与充电辊", "更换感光鼓并清洁充电辊，复印质量恢复正常"),
    (F::Mfp, "SMTP-0016", "configuration", 3, None, "扫描到邮箱失败，提示 SMTP 认证错误 0x0016，邮箱改密码后出现", "远程协助检查设备 SMTP 设置", "远程更新设备 SMTP 账号密码并启用 587 端口加密传输，扫描发送测试成功"),
    (F::Mfp, "J-3201", "paper_jam", 3, Some("双面器导轮"), "双面复印时自动双面器卡纸，面板报警 J-3201", "上门检查双面器纸路", "清理双面器纸路异物（回形针），更换磨损的双面器导轮，双面复印测试正常"),
    (F::Mfp, "NET-01", "configuration", 3, None, "部门电脑打印均提示脱机，复印机网络状态显示 IP 冲突 NET-01", "远程检查网络配置，必要时上门", "为设备设置静态 IP 并在 DHCP 中保留地址，重新添加打印端口，6 台电脑测试打印正常"),
    (F::Mfp, "E602-0001", "hardware_fault", 2, Some("硬盘组件"), "开机停在启动画面，面板报硬盘错误 E602-0001", "携带硬盘组件上门检测", "更换硬盘组件并重装系统固件，恢复地址簿与部门代码备份，功能测试正常"),
    (F::Mfp, "S-102", "hardware_fault", 4, None, "稿台扫描件有一条竖向黑线，输稿器扫描同样出现，报 S-102", "上门清洁扫描光路", "清洁扫描玻璃与输稿器读取条，更换扫描白板，扫描件无黑线"),
    (F::Printer, "13.B2.D2", "paper_jam", 3, Some("搓纸轮套件"), "打印时纸盒 2 卡纸，面板提示 13.B2.D2", "上门检查纸盒 2 搓纸组件", "更换纸盒 2 搓纸轮与分离垫，清洁纸路传感器，连续打印 300 页无卡纸"),
    (F::Printer, "50.2F", "device_failure", 2, Some("定影组件"), "面板报定影器错误 50.2F，关机重启后仍报错，无法打印", "携带定影组件上门更换", "更换定影组件，打印测试正常，已提醒客户勿使用过厚纸张"),
    (F::Printer, "49.38.07", "software_bug", 3, None, "打印特定 PDF 文件时报 49.38.07 固件错误并自动重启", "远程收集问题文件与打印机日志", "升级打印机固件至最新版本并将驱动改为 PCL6，问题文件打印正常"),
    (F::Printer, "10.00.33", "drum_toner", 3, Some("原装硒鼓"), "新装硒鼓后提示耗材错误 10.00.33，无法识别", "核实硒鼓型号与芯片", "确认为非原装硒鼓芯片不兼容，更换原装硒鼓后正常，已向客户说明耗材要求"),
    (F::Printer, "NET-IP", "configuration", 3, None, "更换路由器后打印机 IP 变化，财务部电脑均无法打印", "远程协助重新配置打印端口", "为打印机配置静态 IP，更新各电脑打印端口，全部测试打印成功"),
    (F::Printer, "Q-FADE", "drum_toner", 4, Some("转印辊"), "打印件右侧字迹发淡，摇匀硒鼓后无改善", "上门检查转印辊与硒鼓", "转印辊老化，更换转印辊后打印浓度均匀"),
    (F::Wide, "W-11", "hardware_fault", 3, Some("清洁单元"), "打印工程图出现横向条纹，喷嘴检查有缺线，面板提示 W-11", "上门执行喷头清洗并检查清洁单元", "执行两次强力清洗并更换清洁单元，喷嘴检查图案完整，出图正常"),
    (F::Wide, "SR-9A", "device_failure", 2, Some("编码器光栅条"), "开机报服务请求 SR-9A，打印头无法归位", "携带编码器光栅条上门检测字车", "清除字车导轨异物并润滑，更换字车编码器光栅条，打印头归位正常"),
    (F::Wide, "I-43", "drum_toner", 4, None, "墨盒已更换仍提示墨水不足 I-43", "远程指导检查墨盒芯片", "清洁墨盒芯片触点并更新固件，墨盒识别正常"),
    (F::Wide, "HPGL-SCALE", "configuration", 4, None, "通过 HP-GL/2 发送 CAD 图纸时图纸被缩小，打印比例错误", "远程检查驱动与 HP-GL/2 设置", "调整驱动纸张尺寸与 HP-GL/2 设置，指导客户按 1:100 设置输出比例，出图比例正确"),
    (F::Label, "RIBBON-OUT", "hardware_fault", 2, None, "碳带已安装仍提示 RIBBON OUT，发货标签无法打印", "上门检查碳带传感器", "碳带传感器积尘，清洁并重新校准传感器，标签打印恢复"),
    (F::Label, "PQ-03", "hardware_fault", 3, Some("打印头"), "条码打印模糊，扫码枪识别率低于 80%，报打印质量警告 PQ-03", "携带打印头上门检查", "更换磨损的打印头并调整打印浓度与速度，条码一次识别率恢复至 99% 以上"),
    (F::Label, "HEAD-OPEN", "device_failure", 3, Some("检测开关"), "打印头已合上仍报 HEAD OPEN，无法出标签", "上门检查打印头开合检测开关", "更换打印头开合检测开关，报警消除，打印正常"),
    (F::Plc, "E-310", "hardware_fault", 1, Some("工业交换机模块"), "产线 PLC 通讯中断 E-310，HMI 显示全部站点离线，整线停机", "远程读取诊断缓冲区，同时安排工程师携带交换机模块到场", "PROFINET 交换机端口损坏，更换交换机模块并重新组态，通讯恢复，产线复产"),
    (F::Plc, "SF-16", "hardware_fault", 2, Some("DI16 输入模块"), "PLC 输入模块 SF 灯红色常亮，DI16 模块 3 个通道无信号", "上门检查输入模块与现场接线", "更换 DI16 数字量输入模块并紧固接线端子，信号恢复正常"),
    (F::Plc, "OB121", "software_bug", 1, None, "下载新配方后 PLC 报 OB121 编程错误，设备自动停机", "远程分析 PLC 诊断信息与配方数据", "定位为配方数据块越界访问，修正程序并增加边界检查，下载后试运行 2 小时正常"),
    (F::Plc, "HMI-07", "software_bug", 3, None, "HMI 触摸屏画面卡顿，报警记录无法导出，提示 HMI-07", "远程检查 HMI 归档配置", "清理 HMI 历史数据归档并调整归档周期，报警记录导出恢复"),
    (F::Plc, "BAT-LOW", "hardware_fault", 4, Some("PLC 后备电池"), "PLC 面板提示后备电池电压低 BAT-LOW", "预约停机窗口上门更换电池", "备份 PLC 程序后更换后备电池，报警消除"),
    (F::Cnc, "SV0401", "hardware_fault", 1, Some("伺服放大器"), "加工中心报警 SV0401 伺服 V-READY 关断，主轴无法启动", "携带伺服放大器到场排查伺服回路", "X 轴伺服放大器损坏，更换伺服放大器并调整参数，试切工件检验合格"),
    (F::Cnc, "OT0500", "hardware_fault", 2, None, "X 轴正向超程报警 OT0500，回零后仍报警", "上门检查回零挡块与限位开关", "回零减速挡块松动，重新紧固并调整参考点，超程报警消除"),
    (F::Cnc, "SP9031", "hardware_fault", 1, Some("主轴编码器电缆"), "主轴报警 SP9031 位置偏差过大，加工中途停机", "携带主轴编码器电缆到场检查", "主轴编码器电缆破损，更换电缆并做主轴定向调整，加工恢复"),
    (F::Cnc, "PS0010", "software_bug", 3, Some("屏蔽通讯线"), "DNC 在线加工时报 PS0010，程序传输中断", "远程检查 DNC 传输参数", "调整传输参数与 DNC 软件波特率一致，更换屏蔽通讯线，在线加工正常"),
    (F::Cnc, "AL-1001", "hardware_fault", 3, None, "冷却液泵过载报警 1001，冷却液不出", "上门检查冷却泵与过滤网", "冷却泵叶轮被切屑卡死，清理水箱并更换过滤网，冷却恢复"),
];

/// Requests without a device fault: (kind, category code, rank, factories only, description, plan, resolution).
type Request = (Kind, &'static str, i32, bool, &'static str, &'static str, &'static str);

#[rustfmt::skip]
const REQUESTS: &[Request] = &[
    (Kind::Consultation, "consultation", 4, false, "咨询如何为各部门设置部门代码与彩色打印配额", "远程演示部门代码设置", "已远程演示部门代码与配额设置，并发送操作手册"),
    (Kind::Consultation, "consultation", 4, false, "咨询扫描文件如何自动保存到服务器共享文件夹", "远程协助配置扫描到 SMB 共享", "已远程配置扫描到共享文件夹并指导客户添加常用目的地"),
    (Kind::Consultation, "operation_guidance", 4, false, "新采购的笔记本电脑如何安装复印机驱动并启用安全打印", "电话指导安装驱动", "已电话指导安装驱动并启用安全打印，客户测试打印成功"),
    (Kind::Consultation, "consultation", 4, false, "咨询设备年度保养计划及保外维修收费标准", "整理保养计划与收费标准", "已发送年度保养计划与保外收费标准，客户无异议"),
    (Kind::Training, "operation_guidance", 4, false, "新入职 8 名员工需安排复印机基本操作与安全打印培训", "预约培训时间并准备培训材料", "已完成现场培训（1.5 小时），签到表与培训材料已归档"),
    (Kind::Training, "operation_guidance", 3, true, "产线新班组 12 人需安排 HMI 操作与常见报警处理培训", "与客户生产部确认培训时间", "已完成两个班次的 HMI 操作培训，考核全部通过"),
    (Kind::ChangeRequest, "configuration", 3, false, "申请将彩色打印权限限定为市场部与设计部，其他部门默认黑白打印", "远程调整账户权限策略", "已按部门调整彩色打印权限并验证，变更清单已发客户确认"),
    (Kind::ChangeRequest, "configuration", 4, false, "地址簿需按新组织架构批量导入约 120 人的邮箱", "收集客户提供的通讯录模板", "已批量导入 118 个有效邮箱，2 个格式错误已反馈客户"),
    (Kind::ChangeRequest, "function_fault", 3, true, "需在产线 HMI 增加班次产量统计画面并支持导出 Excel", "评估需求并与研发确认画面方案", "已新增班次产量统计画面与导出功能，客户验收通过"),
    (Kind::Fault, "logistics", 3, false, "订购的碳粉 4 支未按约定日期送达，库存仅剩 1 支", "联系物流查询配送进度", "已加急补发，碳粉于次日上午送达并由客户签收"),
    (Kind::Fault, "logistics_delay", 3, false, "备件寄送地址错误，快递被退回，需重新安排配送", "核对收货地址并重新发货", "已更正收货地址并重新发货，客户已签收"),
];

/// Complaints about an earlier ticket: (category code, description with `{orig}`, resolution).
#[rustfmt::skip]
const COMPLAINTS: &[(&str, &str, &str)] = &[
    ("service_attitude", "对工单 {orig} 的处理不满意：工程师预约上午到场，实际下午三点才到，且未提前告知", "已向客户致歉，调整该区域排班并要求工程师迟到须提前 1 小时通知客户"),
    ("product_quality", "工单 {orig} 同一故障反复出现，多次报修仍未彻底解决，要求评估更换设备", "二线工程师彻查根因并更换主要组件，已与客户约定一个月内每周回访"),
    ("logistics_delay", "工单 {orig} 等待备件超过一周，期间无人主动告知进度", "已向客户致歉，备件改为顺丰加急，并建立备件超期每日通报机制"),
];

const LOCATIONS_OFFICE: &[&str] = &[
    "3楼财务部",
    "2楼行政部",
    "5楼市场部",
    "1楼前台",
    "4楼人事部",
    "6楼总经理办公室",
    "信息中心机房",
    "2楼会议室旁打印间",
];
const LOCATIONS_LINE: &[&str] =
    &["一车间A线", "一车间B线", "二车间装配线", "三车间机加工区", "冲压车间", "涂装线控制柜"];
const LOCATIONS_PLANT_OFFICE: &[&str] = &["办公楼2楼行政部", "质检室", "办公楼3楼财务部"];
const LOCATIONS_WAREHOUSE: &[&str] = &["仓库发货区", "成品包装线"];
const LOCATIONS_PRINT: &[&str] = &["制图室", "输出中心", "1楼快印区"];

const DEPARTMENTS_OFFICE: &[&str] = &["行政部", "信息中心", "财务部", "综合办公室"];
const DEPARTMENTS_FACTORY: &[&str] = &["设备部", "生产部", "信息部", "行政部"];
const DEPARTMENTS_PRINT: &[&str] = &["生产部", "设备科", "行政部"];

const GRADE_REASONS: [&[&str]; 4] = [
    &["产线停机，核心业务中断", "核心业务中断，客户要求立即处理", "整线停产，影响当日交付"],
    &["部分功能异常，影响部门工作效率", "设备主要功能不可用，有临时替代方案", "影响多人使用，效率明显下降"],
    &["单台设备故障，可临时使用其他设备", "一般故障，不影响核心业务", "影响范围小，按一般问题处理"],
    &["咨询类问题，不影响正常使用", "使用技巧类问题，按低频处理", "文档与操作类需求"],
];
const DOWNGRADE_REASONS: &[&str] =
    &["客户已启用备用设备，影响范围缩小", "现场确认仅个别功能受影响", "客户同意延后处理，业务影响降低"];
const RESPOND_ON_SITE: &[&str] = &[
    "已电话联系{c}，确认故障现象，约定今日上门",
    "已电话联系{c}，约定明早 9 点上门",
    "已与{c}确认报警代码与发生频次，约定上门时间",
];
const RESPOND_REMOTE: &[&str] = &[
    "已联系{c}，远程查看设备状态并指导临时处理",
    "已与{c}确认报警代码与发生频次，安排远程处理",
    "已电话联系{c}，约定今日下午远程协助",
];
const ON_SITE: &[&str] = &[
    "工程师已到达现场，与客户确认故障现象后开始拆检",
    "到场检查，复现故障并记录报警履历",
    "现场测试完成，设备运行正常，客户在场确认",
];
const REMOTE: &[&str] = &["远程登录设备管理页面，检查并调整相关参数", "通过远程协助检查驱动与网络设置"];
const CUSTOMER_MESSAGES: &[&str] = &[
    "请尽快处理，明天上午需要打印投标文件",
    "下午 2 点后有人在，可以上门",
    "请上门前电话联系，园区需要提前登记车辆",
    "这台设备是部门唯一的一台，请优先安排",
];
const WAIT_CUSTOMER: &[&str] = &[
    "客户月底结账，约定下周一上门",
    "需客户提供设备管理员密码，等待客户信息部回复",
    "设备所在区域本周封闭施工，等待客户通知",
];
const SECOND_LINE_REASONS: &[&str] = &[
    "现场更换常规部件后故障依旧，申请二线支持",
    "报警涉及主控板，需二线工程师远程协助分析",
    "疑似固件问题，需二线分析日志",
];
const SECOND_LINE_LOGS: &[&str] = &[
    "二线远程分析日志，确认为控制板通讯异常，建议更换相关组件",
    "二线到场协同排查，定位为接线端子松动并已紧固",
    "二线复核诊断结论，指导一线按标准流程更换并做参数备份",
];
const INSTRUCTIONS_PM: &[&str] =
    &["三天未结：请技术组长今日内给出明确解决时间并告知客户", "三天未结：请备件组加急调货，每日 17 点前向客户通报进度"];
const INSTRUCTIONS_GM: &[&str] = &["战略客户，务必本周内闭环", "请项目经理亲自跟进，明日汇报进展"];
const REFUSALS: &[&str] =
    &["问题未彻底解决，今天又出现一次同样报警", "打印件仍有轻微条纹，要求再次处理", "试运行半天后再次停机，不同意结案"];
const INVALID_NOTES: &[&str] = &[
    "客户确认为操作不当，非设备故障",
    "客户自行重启后恢复，确认无需处理",
    "报修设备不在我司维保范围，已告知客户联系原厂",
];

// ---------------------------------------------------------------------------------------
// Time: a working-time calendar on civil time of the service time zone
// ---------------------------------------------------------------------------------------

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;
/// Working hours 08:30–18:00, Monday to Friday.
const OPEN: i64 = 8 * HOUR + 30 * MIN;
const CLOSE: i64 = 18 * HOUR;

#[derive(Debug, Clone, Copy)]
struct Cal {
    /// Offset of the service time zone in milliseconds (Asia/Shanghai has no daylight saving).
    off: i64,
}

impl Cal {
    fn day(self, t: i64) -> i64 {
        (t + self.off).div_euclid(DAY)
    }

    fn time_of_day(self, t: i64) -> i64 {
        (t + self.off).rem_euclid(DAY)
    }

    fn at(self, day: i64, time_of_day: i64) -> i64 {
        day * DAY + time_of_day - self.off
    }

    /// Day 0 (1970-01-01) was a Thursday.
    fn is_workday(day: i64) -> bool {
        (day + 3).rem_euclid(7) < 5
    }

    fn next_workday(mut day: i64) -> i64 {
        while !Cal::is_workday(day) {
            day += 1;
        }
        day
    }

    /// `t` plus `ms` of working time (moving to the next opening first if `t` is outside it).
    fn work_add(self, t: i64, ms: i64) -> i64 {
        let (mut t, mut left) = (t, ms);
        loop {
            let day = self.day(t);
            if !Cal::is_workday(day) || self.time_of_day(t) >= CLOSE {
                t = self.at(Cal::next_workday(day + 1), OPEN);
                continue;
            }
            if self.time_of_day(t) < OPEN {
                t = self.at(day, OPEN);
            }
            let room = self.at(day, CLOSE) - t;
            if left <= room {
                return t + left;
            }
            left -= room;
            t = self.at(day + 1, 0);
        }
    }

    /// `t` minus `ms` of working time.
    fn work_sub(self, t: i64, ms: i64) -> i64 {
        let (mut t, mut left) = (t, ms);
        loop {
            let day = self.day(t);
            if !Cal::is_workday(day) || self.time_of_day(t) <= OPEN {
                let mut prev = day - 1;
                while !Cal::is_workday(prev) {
                    prev -= 1;
                }
                t = self.at(prev, CLOSE);
                continue;
            }
            if self.time_of_day(t) > CLOSE {
                t = self.at(day, CLOSE);
            }
            let room = t - self.at(day, OPEN);
            if left <= room {
                return t - left;
            }
            left -= room;
            t = self.at(day, 0);
        }
    }
}

fn ts(ms: i64) -> Result<Timestamp> {
    Timestamp::from_millisecond(ms).map_err(|e| demo_error(format!("time {ms}: {e}")))
}

fn demo_error(msg: String) -> AppError {
    AppError::Storage(StorageError::Corrupt(format!("demo: {msg}")))
}

fn fresh<T>(o: Outcome<T>) -> Result<T> {
    match o {
        Outcome::Fresh(v) => Ok(v),
        Outcome::Replayed { .. } => Err(demo_error("unexpected replay".into())),
    }
}

// ---------------------------------------------------------------------------------------
// The organization as created
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Engineer {
    actor: usize,
    user_id: Id,
    group: &'static str,
    region: &'static str,
    second_line: bool,
}

#[derive(Debug, Clone)]
struct Dev {
    id: Id,
    family: Family,
    location: &'static str,
}

#[derive(Debug, Clone)]
struct Cust {
    id: Id,
    level: &'static str,
    region: &'static str,
    profile: Profile,
    /// (contact id, name); the first is the one with a user account (and the window, if any).
    contacts: Vec<(Id, String)>,
    has_window: bool,
    /// Actor index of the customer contact user.
    user: usize,
    /// Actor index of the project specialist.
    specialist: usize,
    devices: Vec<Dev>,
}

#[derive(Debug)]
struct Org {
    actors: Vec<Actor>,
    by_user: HashMap<Id, usize>,
    by_name: HashMap<&'static str, usize>,
    engineers: Vec<Engineer>,
    customers: Vec<Cust>,
    /// Category code → (id, handling group code, Chinese name).
    categories: HashMap<String, (Id, String, String)>,
}

impl Org {
    fn staff(&self, username: &str) -> Result<usize> {
        self.by_name.get(username).copied().ok_or_else(|| demo_error(format!("no user {username}")))
    }
}

// ---------------------------------------------------------------------------------------
// Planning
// ---------------------------------------------------------------------------------------

/// Who takes a step: a staff member, or whoever the ticket then names.
#[derive(Debug, Clone, Copy)]
enum Who {
    Staff(usize),
    First,
    Second,
    Customer,
}

#[derive(Debug, Clone)]
enum Op {
    Register,
    Act(Command),
    Log(LogKind, String),
    /// A supervisor decides the ticket's pending downgrade request.
    Decide {
        approve: bool,
        note: String,
    },
}

#[derive(Debug, Clone)]
struct Step {
    at: i64,
    ticket: usize,
    seq: u32,
    who: Who,
    op: Op,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Normal,
    Invalid,
    Duplicate,
}

/// A ticket as planned: what is registered, and what drives its course.
#[derive(Debug, Clone)]
struct Spec {
    at: i64,
    registrant: Who,
    customer: usize,
    contact: (Id, String),
    window_pending: bool,
    channel: Channel,
    kind: Kind,
    category: &'static str,
    device: Option<Id>,
    fault_code: Option<&'static str>,
    description: String,
    occurred_before: i64,
    impact: String,
    expected: Option<(&'static str, i64)>,
    departments: Vec<Department>,
    /// The earlier ticket a complaint is about or a duplicate repeats (`{orig}` in texts).
    refers_to: Option<usize>,
    rank: i32,
    plan: &'static str,
    resolution: &'static str,
    part: Option<&'static str>,
    on_site: bool,
    fate: Fate,
    /// A planned repeat report: the specialist writes an instruction.
    repeat: bool,
    /// Filled in by planning the course: the customer had reason to complain (long waits,
    /// refusal, reopening), and the time of the course's last step.
    troubled: bool,
    last_at: i64,
}

/// How far a ticket's course goes.
#[derive(Debug, Clone, Copy, Default)]
struct Shape {
    stop: Option<Status>,
    pending_downgrade: bool,
}

/// The steps of one ticket being planned, and its time cursor.
struct Flow {
    steps: Vec<Step>,
    ticket: usize,
    t: i64,
    seq: u32,
}

#[derive(Debug, Clone, Copy)]
enum Gap {
    /// Minutes of working time (log-uniform between the bounds).
    Work(i64, i64),
    /// Minutes of wall-clock time.
    Wall(i64, i64),
}

struct Planner<'o> {
    rng: StdRng,
    cal: Cal,
    now: i64,
    org: &'o Org,
    specs: Vec<Spec>,
    steps: Vec<Step>,
    /// Faults planned per device: (registered at, category code, fault code).
    device_log: HashMap<Id, Vec<(i64, &'static str, &'static str)>>,
}

fn pick<'a, T>(rng: &mut StdRng, xs: &'a [T]) -> &'a T {
    &xs[rng.random_range(0..xs.len())]
}

fn level_code(rank: i32) -> String {
    format!("P{rank}")
}

impl<'o> Planner<'o> {
    fn minutes(&mut self, lo: i64, hi: i64) -> i64 {
        let (lo, hi) = (lo.max(1) as f64, hi.max(lo.max(1)) as f64);
        let x: f64 = self.rng.random();
        (lo.ln() + x * (hi.ln() - lo.ln())).exp().round() as i64
    }

    fn advance(&mut self, t: i64, gap: Gap) -> i64 {
        let jitter = self.rng.random_range(0..60_000);
        match gap {
            Gap::Work(lo, hi) => {
                let m = self.minutes(lo, hi);
                self.cal.work_add(t, m * MIN) + jitter
            }
            Gap::Wall(lo, hi) => t + self.minutes(lo, hi) * MIN + jitter,
        }
    }

    fn step(&mut self, f: &mut Flow, gap: Gap, who: Who, op: Op) {
        f.t = self.advance(f.t, gap);
        self.step_at(f, f.t, who, op);
    }

    /// A step at an explicit time (it does not move the ticket's cursor).
    fn step_at(&mut self, f: &mut Flow, at: i64, who: Who, op: Op) {
        f.seq += 1;
        f.steps.push(Step { at, ticket: f.ticket, seq: f.seq, who, op });
    }

    fn act(&mut self, f: &mut Flow, gap: Gap, who: Who, cmd: Command) {
        self.step(f, gap, who, Op::Act(cmd));
    }

    fn log(&mut self, f: &mut Flow, gap: Gap, who: Who, kind: LogKind, body: String) {
        self.step(f, gap, who, Op::Log(kind, body));
    }

    fn desk(&mut self) -> Result<usize> {
        let name = *pick(&mut self.rng, &["desk1", "desk1", "desk2", "desk3"]);
        self.org.staff(name)
    }

    /// A first-line engineer of `group` in `region` (any region when none is there).
    fn engineer_for(&mut self, group: &str, region: &str) -> Option<Id> {
        let all: Vec<&Engineer> = self.org.engineers.iter().filter(|e| e.group == group && !e.second_line).collect();
        let local: Vec<&Engineer> = all.iter().copied().filter(|e| e.region == region).collect();
        let pool = if local.is_empty() { all } else { local };
        if pool.is_empty() {
            return None;
        }
        Some(pick(&mut self.rng, &pool).user_id)
    }

    /// A registration time on `day`: mostly working hours, some evening portal requests.
    fn registration_time(&mut self, day: i64) -> (i64, bool) {
        let r: f64 = self.rng.random();
        let (lo, hi, in_hours) = if !Cal::is_workday(day) {
            (9 * HOUR, 17 * HOUR, false)
        } else if r < 0.55 {
            (OPEN, 12 * HOUR, true)
        } else if r < 0.92 {
            (13 * HOUR, CLOSE, true)
        } else if r < 0.97 {
            (CLOSE, 22 * HOUR, false)
        } else {
            (7 * HOUR, OPEN, false)
        };
        (self.cal.at(day, self.rng.random_range(lo..hi)), in_hours)
    }

    fn pick_customer(&mut self) -> usize {
        let weights: Vec<u32> = self
            .org
            .customers
            .iter()
            .map(|c| {
                let level = match c.level {
                    "A" => 3,
                    "B" => 2,
                    _ => 1,
                };
                level * (2 + c.devices.len() as u32)
            })
            .collect();
        let total: u32 = weights.iter().sum();
        let mut x = self.rng.random_range(0..total);
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        0
    }

    fn impact(&mut self, rank: i32, family: Option<Family>, location: &str) -> String {
        let n = self.rng.random_range(6..45);
        match (family, rank) {
            (Some(Family::Plc | Family::Cnc), 1) => format!("{location}停机，当班约 {n} 名操作工待工，影响当日交付"),
            (Some(Family::Plc | Family::Cnc), 2) => {
                format!("{location}降速运行，产能下降约 {}%", self.rng.random_range(20..50))
            }
            (Some(Family::Plc | Family::Cnc), _) => format!("{location}单台设备，不影响整线生产"),
            (Some(Family::Label), 1 | 2) => format!("{location}发货标签无法打印，当日约 {} 单待发", n * 10),
            (Some(Family::Label), _) => format!("{location}可使用备用标签机，影响较小"),
            (Some(_), 1) => format!("{location}唯一复印设备，约 {n} 人无法打印复印，影响月底报表"),
            (Some(_), 2) => format!("{location}共用设备，约 {n} 人受影响，工作效率下降"),
            (Some(_), 3) => format!("{location}一台设备，约 {n} 人使用，可临时使用其他楼层设备"),
            (Some(_), _) => format!("{location}，不影响正常使用"),
            (None, _) => format!("涉及约 {n} 人，不影响正常业务"),
        }
    }

    fn expected(&mut self, rank: i32) -> Option<(&'static str, i64)> {
        if !self.rng.random_bool(0.45) {
            return None;
        }
        Some(match rank {
            1 => ("希望 4 小时内恢复生产", 4 * HOUR),
            2 => ("希望今天下班前修复", 8 * HOUR),
            3 => ("希望明天内处理完毕", DAY),
            _ => ("本周内安排即可", 5 * DAY),
        })
    }

    /// Caller, channel and registrant for a request at `at` (`in_hours`: the desk is staffed).
    fn intake(&mut self, customer: usize, in_hours: bool, urgent: bool) -> Result<(Who, (Id, String), bool, Channel)> {
        let org = self.org;
        let c = &org.customers[customer];
        let primary = c.contacts[0].clone();
        let r: f64 = self.rng.random();
        if !in_hours && !urgent || in_hours && r < 0.25 {
            return Ok((Who::Customer, primary, false, Channel::Portal));
        }
        let contact =
            if self.rng.random_bool(0.6) { primary.clone() } else { pick(&mut self.rng, &c.contacts).clone() };
        let pending = c.has_window && contact.0 != primary.0;
        let channel = if urgent || r < 0.7 {
            Channel::Phone
        } else if r < 0.85 {
            Channel::Email
        } else if r < 0.97 {
            Channel::Chat
        } else {
            Channel::Api
        };
        Ok((Who::Staff(self.desk()?), contact, pending, channel))
    }

    /// Plans a new ticket registered at `at` for `customer`, and returns its index.
    fn new_ticket(&mut self, at: i64, in_hours: bool, customer: usize) -> Result<usize> {
        let c = self.org.customers[customer].clone();
        let r: f64 = self.rng.random();
        let patrol = r >= 0.95 && !c.devices.is_empty();
        let device_fault = (r < 0.74 || patrol) && !c.devices.is_empty();
        let mut spec = if device_fault {
            // Real repeats are the exception: pick a fault the device has not had lately
            // (the planned repeats and duplicates are made on purpose elsewhere).
            let mut choice = None;
            for _ in 0..12 {
                let dev = pick(&mut self.rng, &c.devices).clone();
                let faults: Vec<&Fault> = FAULTS.iter().filter(|f| f.0 == dev.family).collect();
                let fault = **pick(&mut self.rng, &faults);
                let clash = self.recent_fault(dev.id, at, fault.2, fault.1);
                choice = Some((dev, fault));
                if !clash {
                    break;
                }
            }
            let Some((dev, (_, code, category, base, part, desc, plan, resolution))) = choice else {
                return Err(demo_error("no device".into()));
            };
            let production = matches!(dev.family, Family::Plc | Family::Cnc | Family::Label);
            let mut rank = base;
            if self.rng.random_bool(0.15) {
                rank = (rank + 1).min(4);
            } else if c.level == "A" && rank > 2 && self.rng.random_bool(0.25) {
                rank -= 1;
            }
            if rank == 1 && !production {
                rank = 2;
            }
            let mut departments = Vec::new();
            if production && rank <= 2 {
                departments.push(Department::Production);
            }
            if category == "software_bug" && production {
                departments.push(Department::Rnd);
            }
            if part.is_some() && self.rng.random_bool(0.4) {
                departments.push(Department::Logistics);
            }
            let remote = matches!(category, "configuration" | "software_bug");
            let impact = self.impact(rank, Some(dev.family), dev.location);
            let description = if patrol { format!("主动巡检发现：{desc}") } else { desc.to_owned() };
            Spec {
                at,
                registrant: Who::Customer,
                customer,
                contact: c.contacts[0].clone(),
                window_pending: false,
                channel: Channel::Phone,
                kind: Kind::Fault,
                category,
                device: Some(dev.id),
                fault_code: Some(code),
                description,
                occurred_before: self.minutes(5, if patrol { 60 } else { 240 }),
                impact,
                expected: self.expected(rank),
                departments,
                refers_to: None,
                rank,
                plan,
                resolution,
                part,
                on_site: !remote || self.rng.random_bool(0.3),
                fate: Fate::Normal,
                repeat: false,
                troubled: false,
                last_at: at,
            }
        } else {
            let fits: Vec<&Request> = REQUESTS.iter().filter(|q| !q.3 || c.profile == Profile::Factory).collect();
            let &&(kind, category, rank, _, desc, plan, resolution) = pick(&mut self.rng, &fits);
            let impact = match kind {
                Kind::Training => format!("新员工 {} 人", self.rng.random_range(5..20)),
                Kind::Fault => "耗材库存不足，预计两天内影响打印".to_owned(),
                _ => self.impact(rank, None, ""),
            };
            Spec {
                at,
                registrant: Who::Customer,
                customer,
                contact: c.contacts[0].clone(),
                window_pending: false,
                channel: Channel::Phone,
                kind,
                category,
                device: None,
                fault_code: None,
                description: desc.to_owned(),
                occurred_before: self.minutes(30, 2 * 24 * 60),
                impact,
                expected: self.expected(rank),
                departments: if kind == Kind::Fault { vec![Department::Logistics] } else { Vec::new() },
                refers_to: None,
                rank,
                plan,
                resolution,
                part: None,
                on_site: kind == Kind::Training,
                fate: Fate::Normal,
                repeat: false,
                troubled: false,
                last_at: at,
            }
        };
        let (registrant, contact, pending, channel) = self.intake(customer, in_hours, spec.rank == 1)?;
        spec.registrant = registrant;
        spec.contact = contact;
        spec.window_pending = pending;
        spec.channel = if patrol {
            spec.registrant = Who::Staff(self.desk()?);
            spec.window_pending = false;
            spec.contact = c.contacts[0].clone();
            Channel::Patrol
        } else {
            channel
        };
        let r: f64 = self.rng.random();
        if r < 0.025 {
            spec.fate = Fate::Invalid;
        }
        self.push_spec(spec)
    }

    /// Has `device` a planned fault of the same category or code within the repeat window of `at`?
    fn recent_fault(&self, device: Id, at: i64, category: &str, code: &str) -> bool {
        self.device_log.get(&device).is_some_and(|log| {
            log.iter().any(|&(t, cat, c)| (t - at).abs() < 31 * DAY && (cat == category || c == code))
        })
    }

    fn push_spec(&mut self, spec: Spec) -> Result<usize> {
        if let (Some(device), Some(code)) = (spec.device, spec.fault_code) {
            self.device_log.entry(device).or_default().push((spec.at, spec.category, code));
        }
        self.specs.push(spec);
        Ok(self.specs.len() - 1)
    }

    /// Forgets the last planned ticket (a candidate that did not fit).
    fn pop_spec(&mut self) {
        if let Some(s) = self.specs.pop()
            && let Some(log) = s.device.and_then(|d| self.device_log.get_mut(&d))
        {
            log.retain(|&(t, cat, _)| !(t == s.at && cat == s.category));
        }
    }

    /// Plans the course of ticket `tk` and returns its steps.
    fn course(&mut self, tk: usize, shape: Shape) -> Result<Vec<Step>> {
        let s = self.specs[tk].clone();
        let cust = self.org.customers[s.customer].clone();
        let mut f = Flow { steps: Vec::new(), ticket: tk, t: s.at, seq: 0 };
        let stop = shape.stop;
        let urgent = s.rank == 1;
        let quick = if urgent { Gap::Wall(1, 10) } else { Gap::Work(2, 30) };
        let dispatcher = self.org.staff("dispatch1")?;
        let supervisor = self.org.staff("supervisor1")?;
        f.seq += 1;
        f.steps.push(Step { at: s.at, ticket: tk, seq: f.seq, who: s.registrant, op: Op::Register });
        let desk = match s.registrant {
            Who::Staff(d) => d,
            _ => self.desk()?,
        };
        if s.fate == Fate::Duplicate {
            let note = "与工单 {orig} 重复，同一故障已在处理中".to_owned();
            let cmd = Command::Cancel { reason: CancelReason::Duplicate, note: Some(note) };
            self.act(&mut f, Gap::Work(5, 45), Who::Staff(desk), cmd);
            return Ok(f.steps);
        }
        if s.window_pending {
            if stop == Some(Status::Registered) {
                return Ok(f.steps);
            }
            if self.rng.random_bool(0.7) {
                self.act(&mut f, Gap::Work(10, 240), Who::Customer, Command::ConfirmWindow);
            } else {
                let body = format!("已电话联系客户窗口{}，确认该报修属实", cust.contacts[0].1);
                self.log(&mut f, Gap::Work(10, 120), Who::Staff(desk), LogKind::CustomerMessage, body);
                self.act(&mut f, Gap::Work(1, 5), Who::Staff(desk), Command::ConfirmWindow);
            }
        }
        if stop == Some(Status::Registered) {
            return Ok(f.steps);
        }
        self.act(&mut f, quick, Who::Staff(desk), Command::Accept);
        let accepted_at = f.t;
        if s.fate == Fate::Invalid {
            let note = pick(&mut self.rng, INVALID_NOTES).to_string();
            let cmd = Command::Cancel { reason: CancelReason::Invalid, note: Some(note) };
            self.act(&mut f, Gap::Work(10, 120), Who::Staff(desk), cmd);
            return Ok(f.steps);
        }
        if s.repeat {
            let body = "重复报修：已要求工程师彻查根因，必要时更换相关组件，结案前须经本人确认".to_owned();
            let at = self.advance(accepted_at, Gap::Work(5, 60));
            self.step_at(&mut f, at, Who::Staff(cust.specialist), Op::Log(LogKind::Instruction, body));
        }
        if s.kind == Kind::Complaint {
            let body = "已电话向客户致歉，要求相关工程师与主管今日内说明情况".to_owned();
            let at = self.advance(accepted_at, Gap::Work(10, 90));
            self.step_at(&mut f, at, Who::Staff(cust.specialist), Op::Log(LogKind::Instruction, body));
        }

        // Grading and its review.
        let mut rank = s.rank;
        let grader = if self.rng.random_bool(0.55) { desk } else { dispatcher };
        let reason = pick(&mut self.rng, GRADE_REASONS[(rank - 1) as usize]).to_string();
        self.act(&mut f, quick, Who::Staff(grader), Command::Grade { level: level_code(rank), reason });
        let mut graded_until = f.t;
        let review = self.rng.random::<f64>();
        let reviewed = stop != Some(Status::Accepted) && review < 0.9;
        if reviewed {
            let at = self.advance(f.t, Gap::Work(10, 180));
            if review < 0.05 && rank < 4 {
                let cmd = Command::ReviewGrading {
                    approve: false,
                    note: Some("影响范围描述不足，按实际影响重新分级".into()),
                };
                self.step_at(&mut f, at, Who::Staff(supervisor), Op::Act(cmd));
                rank += 1;
                let reason = format!("审核调整：{}", pick(&mut self.rng, GRADE_REASONS[(rank - 1) as usize]));
                let at = at + self.minutes(1, 10) * MIN;
                self.step_at(
                    &mut f,
                    at,
                    Who::Staff(supervisor),
                    Op::Act(Command::Grade { level: level_code(rank), reason }),
                );
                graded_until = at;
            } else {
                let note = self.rng.random_bool(0.3).then(|| "分级合理".to_owned());
                self.step_at(
                    &mut f,
                    at,
                    Who::Staff(supervisor),
                    Op::Act(Command::ReviewGrading { approve: true, note }),
                );
                graded_until = at;
            }
        }
        if stop == Some(Status::Accepted) {
            if shape.pending_downgrade && rank < 4 {
                let reason = pick(&mut self.rng, DOWNGRADE_REASONS).to_string();
                let cmd = Command::Grade { level: level_code(rank + 1), reason };
                self.act(&mut f, Gap::Work(10, 60), Who::Staff(dispatcher), cmd);
            }
            return Ok(f.steps);
        }

        // Dispatch: by hand, or the suggestion picks.
        let group = self.org.categories.get(s.category).map(|c| c.1.clone()).unwrap_or_default();
        let engineer = if self.rng.random_bool(0.3) { None } else { self.engineer_for(&group, cust.region) };
        let gap = if urgent { Gap::Wall(2, 15) } else { Gap::Work(3, 60) };
        self.act(&mut f, gap, Who::Staff(dispatcher), Command::Dispatch { group_id: None, engineer_id: engineer });
        if stop == Some(Status::Dispatched) {
            return Ok(f.steps);
        }

        // The customer objects to the grading; the technical director rules.
        if rank > 1 && cust.level != "C" && s.kind == Kind::Fault && self.rng.random_bool(0.03) {
            f.t = f.t.max(graded_until);
            let reason = format!("{}，我方认为应按更高级别处理", s.impact);
            self.act(&mut f, Gap::Work(10, 90), Who::Customer, Command::ObjectToGrading { reason });
            rank -= 1;
            let reason = "核实客户影响范围后，上调一级处理".to_owned();
            let techdir = self.org.staff("techdir1")?;
            let cmd = Command::RuleGradingDispute { level: level_code(rank), reason };
            self.act(&mut f, Gap::Work(30, 240), Who::Staff(techdir), cmd);
            graded_until = f.t;
        }
        // Engineers call within the hour of assignment (DOMAIN §4) most of the time; the
        // rest slip, some past the level's response deadline.
        let respond = match rank {
            1 => Gap::Wall(5, 70),
            _ if self.rng.random_bool(0.88) => Gap::Work(5, 58),
            2 => Gap::Work(15, 260),
            3 => Gap::Work(30, 520),
            _ => Gap::Work(60, 1300),
        };
        let notes = if s.on_site { RESPOND_ON_SITE } else { RESPOND_REMOTE };
        let note = pick(&mut self.rng, notes).replace("{c}", &s.contact.1);
        self.act(&mut f, respond, Who::First, Command::Respond { note: Some(note) });
        if stop == Some(Status::Responded) {
            return Ok(f.steps);
        }
        let work = |lo: i64, hi: i64| if urgent { Gap::Wall(lo, hi) } else { Gap::Work(lo, hi) };
        self.act(&mut f, work(5, 60), Who::First, Command::Start { plan: Some(s.plan.to_owned()) });

        // A downgrade request once the engineer has seen the impact.
        let downgrade = shape.pending_downgrade || self.rng.random_bool(0.06);
        if downgrade && rank < 4 {
            f.t = f.t.max(graded_until);
            let reason = pick(&mut self.rng, DOWNGRADE_REASONS).to_string();
            self.act(
                &mut f,
                Gap::Work(20, 180),
                Who::Staff(dispatcher),
                Command::Grade { level: level_code(rank + 1), reason },
            );
            if !shape.pending_downgrade {
                let approve = self.rng.random_bool(0.6);
                let note = if approve {
                    pick(&mut self.rng, &["同意降级，已与客户确认", "核实属实，同意"]).to_string()
                } else {
                    pick(&mut self.rng, &["战略客户，维持原级别", "客户月底结账期间，维持原级别处理"]).to_string()
                };
                self.step(&mut f, Gap::Work(15, 240), Who::Staff(supervisor), Op::Decide { approve, note });
                if approve {
                    rank += 1;
                }
                graded_until = f.t;
            }
        }
        if self.rng.random_bool(0.12) {
            let body = pick(&mut self.rng, CUSTOMER_MESSAGES).to_string();
            self.log(&mut f, work(10, 120), Who::Customer, LogKind::CustomerMessage, body);
        }
        let diagnosis = match s.fault_code {
            Some(code) => format!(
                "读取设备报警履历，{code} 近一周出现 {} 次，初步判断为{}",
                self.rng.random_range(2..9),
                self.org.categories.get(s.category).map(|c| c.2.as_str()).unwrap_or("设备故障")
            ),
            None => format!("已与{}确认需求细节与时间安排", s.contact.1),
        };
        self.log(&mut f, work(15, 120), Who::First, LogKind::Diagnosis, diagnosis);
        if stop == Some(Status::InProgress) {
            return Ok(f.steps);
        }
        let mut troubled = false;
        if let Some(part) = s.part
            && (stop == Some(Status::WaitingParts) || stop.is_none() && self.rng.random_bool(0.3))
        {
            let days = if urgent { 1 } else { self.rng.random_range(1..5) };
            let note = if urgent {
                format!("已申请备件「{part}」，加急调货，预计今日内送达现场")
            } else {
                format!("已申请备件「{part}」，预计 {days} 个工作日到货，已告知客户")
            };
            self.act(&mut f, work(20, 180), Who::First, Command::WaitForParts { note: Some(note) });
            if stop == Some(Status::WaitingParts) {
                return Ok(f.steps);
            }
            let note = format!("备件「{part}」已到货，安排上门更换");
            let gap = if urgent { Gap::Wall(180, 900) } else { Gap::Work(days * 400, days * 700) };
            self.act(&mut f, gap, Who::First, Command::Resume { note: Some(note) });
            troubled = days >= 3;
        }
        if stop == Some(Status::WaitingCustomer) || stop.is_none() && rank > 1 && self.rng.random_bool(0.07) {
            let note = pick(&mut self.rng, WAIT_CUSTOMER).to_string();
            self.act(&mut f, work(20, 240), Who::First, Command::WaitForCustomer { note: Some(note) });
            if stop == Some(Status::WaitingCustomer) {
                return Ok(f.steps);
            }
            let note = "客户已确认时间，恢复处理".to_owned();
            self.act(&mut f, Gap::Work(300, 2500), Who::First, Command::Resume { note: Some(note) });
        }
        let mut second = false;
        if matches!(group.as_str(), "hardware" | "software") && self.rng.random_bool(if urgent { 0.35 } else { 0.1 }) {
            let reason = pick(&mut self.rng, SECOND_LINE_REASONS).to_string();
            self.act(&mut f, work(30, 300), Who::First, Command::RequestSecondLine { engineer_id: None, reason });
            let body = pick(&mut self.rng, SECOND_LINE_LOGS).to_string();
            self.log(&mut f, work(20, 240), Who::Second, LogKind::Diagnosis, body);
            second = true;
        }
        let visit = if s.on_site { pick(&mut self.rng, ON_SITE) } else { pick(&mut self.rng, REMOTE) };
        let kind = if s.on_site { LogKind::OnSite } else { LogKind::RemoteFix };
        let gap = match rank {
            1 => Gap::Wall(30, 600),
            2 => Gap::Work(30, 900),
            _ => Gap::Work(30, 1800),
        };
        self.log(&mut f, gap, Who::First, kind, visit.to_string());

        // Resolve, after any grading step still under way.
        f.t = f.t.max(graded_until);
        let resolver = if second && self.rng.random_bool(0.4) { Who::Second } else { Who::First };
        self.act(&mut f, work(20, 300), resolver, Command::Resolve { resolution: s.resolution.to_owned() });
        if f.t - accepted_at > 3 * DAY {
            let pm = self.org.staff("pm1")?;
            let body = pick(&mut self.rng, INSTRUCTIONS_PM).to_string();
            let at = accepted_at + 3 * DAY + self.minutes(10, 120) * MIN;
            self.step_at(&mut f, at, Who::Staff(pm), Op::Log(LogKind::Instruction, body));
            if cust.level == "A" && f.t - accepted_at > 4 * DAY {
                let gm = self.org.staff("gm1")?;
                let body = pick(&mut self.rng, INSTRUCTIONS_GM).to_string();
                self.step_at(&mut f, at + DAY, Who::Staff(gm), Op::Log(LogKind::Instruction, body));
            }
            troubled = true;
        }
        if stop == Some(Status::Resolved) {
            return Ok(f.steps);
        }

        // The customer refuses once in a while; the engineer goes back.
        if self.rng.random_bool(0.045) {
            let reason = pick(&mut self.rng, REFUSALS).to_string();
            let who = if self.rng.random_bool(0.6) { Who::Customer } else { Who::Staff(desk) };
            self.act(&mut f, Gap::Work(60, 1400), who, Command::RefuseClosure { reason });
            let visit = pick(&mut self.rng, ON_SITE).to_string();
            self.log(&mut f, Gap::Work(60, 900), Who::First, LogKind::OnSite, visit);
            let resolution = format!("二次处理：{}，并更换相关易损件，观察一周无复发", s.resolution);
            self.act(&mut f, Gap::Work(30, 300), Who::First, Command::Resolve { resolution });
            troubled = true;
        }
        self.closure(&mut f, s.on_site, desk);

        // Rarely the fault comes back after closure and the desk reopens the ticket.
        if self.rng.random_bool(0.025) {
            let reason = match s.fault_code {
                Some(code) => format!("客户来电：同一故障 {code} 再次出现"),
                None => "客户反映问题复现，重新处理".to_owned(),
            };
            self.act(&mut f, Gap::Work(600, 4000), Who::Staff(desk), Command::Reopen { reason });
            let visit = pick(&mut self.rng, ON_SITE).to_string();
            self.log(&mut f, Gap::Work(60, 900), Who::First, LogKind::OnSite, visit);
            let resolution = format!("复查处理：{}", s.resolution);
            self.act(&mut f, Gap::Work(60, 900), Who::First, Command::Resolve { resolution });
            let cmd = Command::ConfirmClosure { method: Some(ClosureMethod::Callback) };
            self.act(&mut f, Gap::Work(60, 900), Who::Staff(desk), cmd);
            troubled = true;
        }
        self.specs[tk].troubled = troubled;
        self.specs[tk].last_at = f.t;
        Ok(f.steps)
    }

    /// The customer's agreement: signature on site, portal click, or callback.
    fn closure(&mut self, f: &mut Flow, on_site: bool, desk: usize) {
        let r: f64 = self.rng.random();
        if on_site && r < 0.35 {
            let cmd = Command::ConfirmClosure { method: Some(ClosureMethod::Signature) };
            self.act(f, Gap::Work(10, 90), Who::Staff(desk), cmd);
        } else if r < 0.65 {
            self.act(f, Gap::Work(30, 1800), Who::Customer, Command::ConfirmClosure { method: None });
        } else {
            let cmd = Command::ConfirmClosure { method: Some(ClosureMethod::Callback) };
            self.act(f, Gap::Work(60, 1500), Who::Staff(desk), cmd);
        }
    }

    /// Adds one ticket's course, with the desk's aftercare of it.
    fn add(&mut self, mut steps: Vec<Step>) -> Result<()> {
        if let Some(tk) = steps.first().map(|s| s.ticket) {
            self.aftercare(tk, &mut steps)?;
        }
        self.steps.extend(steps);
        Ok(())
    }

    /// Three months of tickets, day by day, plus duplicates, repeat reports and complaints.
    fn history(&mut self, days: i64) -> Result<()> {
        let today = self.cal.day(self.now);
        for day in today - days..=today {
            let n = if Cal::is_workday(day) { self.rng.random_range(5..10) } else { self.rng.random_range(0..2) };
            for _ in 0..n {
                let (at, in_hours) = self.registration_time(day);
                if at > self.now - 10 * MIN {
                    continue;
                }
                let customer = self.pick_customer();
                let tk = self.new_ticket(at, in_hours, customer)?;
                let steps = self.course(tk, Shape::default())?;
                self.add(steps)?;
                self.maybe_duplicate(tk)?;
                self.maybe_repeat(tk)?;
            }
        }
        self.complaints()?;
        Ok(())
    }

    /// The same fault reported again through another channel shortly after: cancelled as a duplicate.
    fn maybe_duplicate(&mut self, tk: usize) -> Result<()> {
        let s = self.specs[tk].clone();
        if s.device.is_none() || s.fate != Fate::Normal || !self.rng.random_bool(0.035) {
            return Ok(());
        }
        let mut d = s.clone();
        d.at = s.at + self.minutes(15, 120) * MIN;
        if d.at > self.now - 30 * MIN {
            return Ok(());
        }
        let org = self.org;
        let c = &org.customers[s.customer];
        if self.rng.random_bool(0.5) {
            d.registrant = Who::Customer;
            d.channel = Channel::Portal;
            d.contact = c.contacts[0].clone();
            d.window_pending = false;
        } else {
            d.registrant = Who::Staff(self.desk()?);
            d.channel = Channel::Email;
            d.contact = pick(&mut self.rng, &c.contacts.clone()).clone();
            d.window_pending = c.has_window && d.contact.0 != c.contacts[0].0;
        }
        d.fate = Fate::Duplicate;
        d.refers_to = Some(tk);
        let dup = self.push_spec(d)?;
        let steps = self.course(dup, Shape::default())?;
        self.add(steps)?;
        Ok(())
    }

    /// The same device with the same fault again some days after closure (DOMAIN §5).
    fn maybe_repeat(&mut self, tk: usize) -> Result<()> {
        let s = self.specs[tk].clone();
        if s.device.is_none() || s.fate != Fate::Normal || !self.rng.random_bool(0.06) {
            return Ok(());
        }
        let at = self.cal.work_add(s.last_at, self.minutes(600, 9000) * MIN);
        if at - s.at > 27 * DAY || at > self.now - HOUR {
            return Ok(());
        }
        let mut r = s.clone();
        r.at = at;
        r.description = format!("{}（上次维修后再次出现）", s.description);
        r.repeat = true;
        r.troubled = false;
        let org = self.org;
        let c = &org.customers[s.customer];
        let (registrant, contact, pending, channel) = self.intake(s.customer, true, s.rank == 1)?;
        r.registrant = registrant;
        r.contact = if matches!(registrant, Who::Customer) { c.contacts[0].clone() } else { contact };
        r.window_pending = pending && !matches!(registrant, Who::Customer);
        r.channel = channel;
        let idx = self.push_spec(r)?;
        let steps = self.course(idx, Shape::default())?;
        self.add(steps)?;
        Ok(())
    }

    /// Complaints about troubled tickets, one per customer, a few days after they ended.
    fn complaints(&mut self) -> Result<()> {
        let mut seen = HashSet::new();
        let candidates: Vec<usize> = (0..self.specs.len())
            .filter(|&i| {
                let s = &self.specs[i];
                s.troubled && s.fate == Fate::Normal && s.last_at < self.now - 6 * DAY
            })
            .collect();
        let mut made = 0;
        for i in candidates {
            if made >= 4 || !seen.insert(self.specs[i].customer) {
                continue;
            }
            let s = self.specs[i].clone();
            let (category, desc, resolution) = COMPLAINTS[made % COMPLAINTS.len()];
            let at = self.cal.work_add(s.last_at, self.minutes(60, 2000) * MIN);
            let org = self.org;
            let c = &org.customers[s.customer];
            let (registrant, channel) = if made % 2 == 0 {
                (Who::Customer, Channel::Portal)
            } else {
                (Who::Staff(self.desk()?), Channel::Phone)
            };
            let spec = Spec {
                at,
                registrant,
                customer: s.customer,
                contact: c.contacts[0].clone(),
                window_pending: false,
                channel,
                kind: Kind::Complaint,
                category,
                device: None,
                fault_code: None,
                description: desc.to_owned(),
                occurred_before: self.minutes(60, 600),
                impact: "客户对服务过程不满，涉及客户关系维护".to_owned(),
                expected: Some(("希望三天内给出书面答复与整改措施", 3 * DAY)),
                departments: Vec::new(),
                refers_to: Some(i),
                rank: 2,
                plan: "调阅原工单处理记录，与相关工程师核实情况",
                resolution,
                part: None,
                on_site: false,
                fate: Fate::Normal,
                repeat: false,
                troubled: false,
                last_at: at,
            };
            let idx = self.push_spec(spec)?;
            let steps = self.course(idx, Shape::default())?;
            self.add(steps)?;
            made += 1;
        }
        Ok(())
    }

    /// Recent tickets that stop in each open state, so every status shows on the desk today.
    fn current(&mut self) -> Result<()> {
        let wanted: &[(Status, usize, bool)] = &[
            (Status::Registered, 1, false),
            (Status::Accepted, 1, false),
            (Status::Accepted, 1, true),
            (Status::Dispatched, 2, false),
            (Status::Responded, 2, false),
            (Status::InProgress, 2, false),
            (Status::InProgress, 1, true),
            (Status::WaitingCustomer, 2, false),
            (Status::WaitingParts, 2, false),
            (Status::Resolved, 3, false),
        ];
        for &(status, count, pending_downgrade) in wanted {
            for _ in 0..count {
                self.current_ticket(status, pending_downgrade)?;
            }
        }
        // Requests from someone other than the designated window, not yet confirmed.
        let windowed: Vec<usize> = (0..self.org.customers.len())
            .filter(|&i| self.org.customers[i].has_window && self.org.customers[i].contacts.len() > 1)
            .collect();
        for k in 0..2 {
            let Some(&customer) = windowed.get((k * 3) % windowed.len().max(1)) else { break };
            let at = self.cal.work_sub(self.now, self.minutes(30, 500) * MIN);
            let tk = self.new_ticket_where(at, true, customer, |s| s.device.is_some() && s.rank >= 3)?;
            let org = self.org;
            let c = &org.customers[customer];
            let s = &mut self.specs[tk];
            s.registrant = Who::Staff(org.staff("desk2")?);
            s.contact = c.contacts[1].clone();
            s.window_pending = true;
            s.channel = Channel::Phone;
            s.fate = Fate::Normal;
            let steps = self.course(tk, Shape { stop: Some(Status::Registered), pending_downgrade: false })?;
            self.add(steps)?;
        }
        Ok(())
    }

    /// Plans a new ticket at `at` that satisfies `fits` (tries a few candidates).
    fn new_ticket_where(
        &mut self,
        at: i64,
        in_hours: bool,
        customer: usize,
        fits: impl Fn(&Spec) -> bool,
    ) -> Result<usize> {
        let mut tk = self.new_ticket(at, in_hours, customer)?;
        for _ in 0..50 {
            if fits(&self.specs[tk]) {
                break;
            }
            self.pop_spec();
            tk = self.new_ticket(at, in_hours, customer)?;
        }
        Ok(tk)
    }

    fn current_ticket(&mut self, status: Status, pending_downgrade: bool) -> Result<()> {
        let customer = self.pick_customer();
        let budget = match status {
            Status::Registered => 0,
            Status::Accepted | Status::Dispatched => 120,
            Status::Responded | Status::InProgress => 400,
            Status::WaitingCustomer | Status::Resolved => 900,
            _ => 1500,
        };
        let shape = Shape { stop: Some(status), pending_downgrade };
        if status == Status::Registered {
            let at = self.now - self.minutes(5, 40) * MIN;
            let tk = self.new_ticket_where(at, false, customer, |s| s.rank >= 3)?;
            let s = &mut self.specs[tk];
            (s.registrant, s.channel, s.window_pending, s.fate) = (Who::Customer, Channel::Portal, false, Fate::Normal);
            s.contact = self.org.customers[customer].contacts[0].clone();
            let steps = self.course(tk, shape)?;
            self.add(steps)?;
            return Ok(());
        }
        let mut start = self.cal.work_sub(self.now, self.minutes(budget / 2, budget) * MIN);
        // Work in progress is shown on device faults; waiting for parts needs a part.
        let tk = self.new_ticket_where(start, true, customer, |s| match status {
            Status::WaitingParts => s.part.is_some() && s.rank >= 2,
            Status::WaitingCustomer => s.device.is_some() && s.rank >= 2,
            Status::InProgress | Status::Responded => s.device.is_some() && s.rank <= 3,
            _ => true,
        })?;
        {
            let s = &mut self.specs[tk];
            s.fate = Fate::Normal;
            if s.window_pending {
                s.window_pending = false;
                s.contact = self.org.customers[customer].contacts[0].clone();
            }
            if pending_downgrade && s.rank > 3 {
                s.rank = 3;
            }
        }
        // Move the registration back until the whole course fits before now.
        for _ in 0..30 {
            let s = &self.specs[tk];
            if let Some(log) = s.device.and_then(|d| self.device_log.get_mut(&d)) {
                for entry in log.iter_mut().filter(|e| e.0 == s.at && e.1 == s.category) {
                    entry.0 = start;
                }
            }
            self.specs[tk].at = start;
            let mut steps = self.course(tk, shape)?;
            if steps.iter().all(|s| s.at <= self.now) {
                // Open three days or more: the project manager writes an instruction.
                let accepted = steps.iter().find(|s| matches!(s.op, Op::Act(Command::Accept))).map(|s| s.at);
                if let Some(accepted) = accepted.filter(|&a| self.now - a > 3 * DAY + 2 * HOUR) {
                    let body = pick(&mut self.rng, INSTRUCTIONS_PM).to_string();
                    let at = accepted + 3 * DAY + self.minutes(10, 120) * MIN;
                    let seq = steps.len() as u32 + 1;
                    let who = Who::Staff(self.org.staff("pm1")?);
                    steps.push(Step { at, ticket: tk, seq, who, op: Op::Log(LogKind::Instruction, body) });
                }
                self.add(steps)?;
                return Ok(());
            }
            start = self.cal.work_sub(start, 4 * HOUR);
        }
        Ok(())
    }
}

impl Planner<'_> {
    /// The desk's daily progress messages while a ticket is open (seeds 002/004: before
    /// 17:00 on each working day), the engineer's service report after resolution, and the
    /// callback survey after closure, as a well-run desk does them (most, not all).
    fn aftercare(&mut self, tk: usize, steps: &mut Vec<Step>) -> Result<()> {
        let mut seq = steps.iter().map(|s| s.seq).max().unwrap_or(0);
        let accepted = steps.iter().find(|s| matches!(s.op, Op::Act(Command::Accept))).map(|s| s.at);
        let Some(accepted) = accepted else { return Ok(()) };
        let resolved = steps.iter().find(|s| matches!(s.op, Op::Act(Command::Resolve { .. }))).map(|s| s.at);
        let cancelled = steps.iter().find(|s| matches!(s.op, Op::Act(Command::Cancel { .. }))).map(|s| s.at);
        let end = resolved.or(cancelled).unwrap_or(self.now);
        let desk = self.desk()?;
        let mut day = self.cal.day(accepted);
        while self.cal.at(day, 16 * HOUR) < end {
            let at = self.cal.at(day, 16 * HOUR) + self.minutes(0, 55) * MIN;
            if Cal::is_workday(day) && at > accepted && at < end && self.rng.random_bool(0.97) {
                let body = pick(&mut self.rng, PROGRESS).to_string();
                seq += 1;
                steps.push(Step { at, ticket: tk, seq, who: Who::Staff(desk), op: Op::Log(LogKind::Progress, body) });
            }
            day += 1;
        }
        if let Some(resolved) = resolved {
            let at = resolved + self.minutes(30, 10 * 60) * MIN;
            if at <= self.now && self.rng.random_bool(0.95) {
                let body = "服务报告已发送客户联系人邮箱，含故障原因、处理过程与更换部件".to_owned();
                seq += 1;
                steps.push(Step { at, ticket: tk, seq, who: Who::First, op: Op::Log(LogKind::ServiceReport, body) });
            }
        }
        // The callback survey, within a day of the resolution (seed 002), on courses with one
        // resolution and no refusal or reopening, so no later step races it.
        let resolutions = steps.iter().filter(|s| matches!(s.op, Op::Act(Command::Resolve { .. }))).count();
        let turned_back =
            steps.iter().any(|s| matches!(s.op, Op::Act(Command::RefuseClosure { .. } | Command::Reopen { .. })));
        if let (Some(resolved), 1, false) = (resolved, resolutions, turned_back) {
            let at = resolved + self.minutes(60, 22 * 60) * MIN;
            if at <= self.now && self.rng.random_bool(0.9) {
                let r: f64 = self.rng.random();
                // A dissatisfied answer reopens the ticket (DOMAIN §5), so the demo gives it only
                // after the closure, and then re-handles it: a call, a fix, a callback closure.
                let closed =
                    steps.iter().find(|s| matches!(s.op, Op::Act(Command::ConfirmClosure { .. }))).map(|s| s.at);
                let result = if r < 0.85 {
                    SurveyResult::Satisfied
                } else if r < 0.97 || closed.is_none_or(|c| at < c) {
                    SurveyResult::Basic
                } else {
                    SurveyResult::Dissatisfied
                };
                seq += 1;
                let op = Op::Act(Command::RecordSurvey { result, note: None });
                steps.push(Step { at, ticket: tk, seq, who: Who::Staff(desk), op });
                if result == SurveyResult::Dissatisfied {
                    let call = at + self.minutes(60, 20 * 60) * MIN;
                    let fixed = call + self.minutes(120, 24 * 60) * MIN;
                    let confirmed = fixed + self.minutes(60, 8 * 60) * MIN;
                    let body = "回访不满意：已致电客户了解原因，约定上门复查".to_owned();
                    let follow_up = [
                        (call, Who::First, Op::Log(LogKind::Contact, body)),
                        (
                            fixed,
                            Who::First,
                            Op::Act(Command::Resolve {
                                resolution: "二次处理：复查并调整，客户现场确认无异常".into()
                            }),
                        ),
                        (
                            confirmed,
                            Who::Staff(desk),
                            Op::Act(Command::ConfirmClosure { method: Some(ClosureMethod::Callback) }),
                        ),
                    ];
                    for (when, who, op) in follow_up {
                        seq += 1;
                        steps.push(Step { at: when, ticket: tk, seq, who, op });
                    }
                }
            }
        }
        Ok(())
    }
}

const PROGRESS: &[&str] = &[
    "已告知客户当前进度：工程师处理中，明日上午继续",
    "已电话告知客户：备件在途，预计明日到货后上门更换",
    "已告知客户今日排查结果及下一步计划（内容由项目专员提供）",
    "已向客户窗口通报进展：远程诊断完成，待安排现场处理",
];

// ---------------------------------------------------------------------------------------
// Running the plan
// ---------------------------------------------------------------------------------------

struct Live {
    ticket: Ticket,
    request: Option<Id>,
}

impl App {
    /// Creates the demo organization in an empty, migrated database (call
    /// [`App::ensure_defaults`] first), with three months of history ending now.
    pub async fn create_demo(&self, seed: u64) -> Result<DemoSummary> {
        self.create_demo_at(seed, self.now()).await
    }

    /// [`App::create_demo`] with history ending at `now`: the same seed and `now` give the
    /// same organization, ticket numbers and states.
    pub async fn create_demo_at(&self, seed: u64, now: Timestamp) -> Result<DemoSummary> {
        let now_ms = now.as_millisecond();
        let off = i64::from(self.settings.time_zone.to_offset(now).seconds()) * 1000;
        let cal = Cal { off };
        let clock = Arc::new(AtomicI64::new(now_ms - 100 * DAY));
        let hands = clock.clone();
        let app = self.clone().with_clock(Arc::new(move || {
            Timestamp::from_millisecond(hands.load(Ordering::Relaxed)).unwrap_or(Timestamp::UNIX_EPOCH)
        }));
        let mut rng = StdRng::seed_from_u64(seed);
        let org = app.demo_org(&mut rng, cal, now_ms).await?;
        let devices = org.customers.iter().map(|c| c.devices.len()).sum();

        let mut planner = Planner {
            rng,
            cal,
            now: now_ms,
            org: &org,
            specs: Vec::new(),
            steps: Vec::new(),
            device_log: HashMap::new(),
        };
        planner.history(90)?;
        planner.current()?;
        let Planner { specs, mut steps, .. } = planner;
        steps.retain(|s| s.at <= now_ms);
        steps.sort_by_key(|s| (s.at, s.ticket, s.seq));

        let mut live: Vec<Option<Live>> = (0..specs.len()).map(|_| None).collect();
        let mut broken = vec![false; specs.len()];
        let mut skipped = 0;
        // The notice worker runs as time goes by, so reminders, timeouts and the daily table
        // fall on the days they belong to.
        let mut jobs_ran_at = 0;
        for step in &steps {
            if broken[step.ticket] {
                skipped += 1;
                continue;
            }
            clock.store(step.at, Ordering::Relaxed);
            if step.at - jobs_ran_at >= 15 * MIN {
                while app.run_due_jobs("demo", 1000).await? == 1000 {}
                jobs_ran_at = step.at;
            }
            if let Err(e) = app.run_step(&org, &specs, &mut live, step).await {
                tracing::warn!(ticket = step.ticket, error = %e, "demo step refused; the ticket stops here");
                broken[step.ticket] = true;
                skipped += 1;
            }
        }

        clock.store(now_ms, Ordering::Relaxed);
        while app.run_due_jobs("demo", 1000).await? == 1000 {}
        // Customers read what they were told as it came: only the last two days' notices
        // wait in a demo contact's inbox.
        let read_before = ts(now_ms - 2 * DAY)?;
        let tx = app.store.write().await?;
        for c in &org.customers {
            aftersales_storage::notices::acknowledge_all(&*tx, org.actors[c.user].id(), read_before, read_before)
                .await?;
        }
        tx.commit().await?;
        let mut logins = Vec::new();
        let mut names: Vec<&str> = LOGINS.to_vec();
        let contact_login = org.customers.first().map(|c| org.actors[c.user].user.username.clone());
        if let Some(n) = &contact_login {
            names.push(n.as_str());
        }
        for name in names {
            let Some(user) = org.actors.iter().map(|a| &a.user).find(|u| u.username == name) else { continue };
            let token = app.create_token(None, user.id, "demo").await?;
            logins.push(DemoLogin {
                username: user.username.clone(),
                display_name: user.display_name.clone(),
                role: user.role,
                token,
            });
        }
        Ok(DemoSummary {
            password: DEMO_PASSWORD.to_owned(),
            logins,
            customers: org.customers.len(),
            devices,
            engineers: org.engineers.len(),
            tickets: live.iter().filter(|l| l.is_some()).count(),
            skipped_steps: skipped,
        })
    }

    /// Staff, customers, contacts, customer users and devices.
    async fn demo_org(&self, rng: &mut StdRng, cal: Cal, now: i64) -> Result<Org> {
        let hash = crate::users::hash_password(DEMO_PASSWORD)?;
        let groups: HashMap<Id, String> = {
            let tx_groups = aftersales_storage::catalog::groups(self.store.read()).await?;
            tx_groups.into_iter().map(|g| (g.id, g.code)).collect()
        };
        let group_id = |code: &str| groups.iter().find(|(_, c)| c.as_str() == code).map(|(id, _)| *id);
        let mut org = Org {
            actors: Vec::new(),
            by_user: HashMap::new(),
            by_name: HashMap::new(),
            engineers: Vec::new(),
            customers: Vec::new(),
            categories: HashMap::new(),
        };
        let mut phones = HashSet::new();
        let mut mobile = |rng: &mut StdRng| loop {
            let p = format!("1{}{:09}", pick(rng, &[3, 5, 7, 8, 9]), rng.random_range(0..1_000_000_000u64));
            if phones.insert(p.clone()) {
                break p;
            }
        };
        for &(username, name, role, region, group) in STAFF {
            let input = UserInput {
                username: Some(username.into()),
                display_name: Some(name.into()),
                role: Some(role),
                email: Some(format!("{username}@service.example.cn")),
                phone: Some(mobile(rng)),
                region: region.map(Into::into),
                group_id: group.and_then(group_id),
                ..UserInput::default()
            };
            let mut user = input.check()?;
            self.create_user_hashed(&mut user, Some(hash.clone())).await?;
            let i = org.actors.len();
            org.by_user.insert(user.id, i);
            org.by_name.insert(username, i);
            if let (Some(g), Some(r)) = (group, region) {
                let second_line = matches!(role, Role::SecondLineEngineer | Role::TechLead);
                org.engineers.push(Engineer { actor: i, user_id: user.id, group: g, region: r, second_line });
            }
            org.actors.push(Actor { user });
        }
        let admin = org.actors[org.staff("admin")?].clone();
        for c in self.categories(&admin).await? {
            let group = c.group_id.and_then(|g| groups.get(&g)).cloned().unwrap_or_default();
            org.categories.insert(c.code.clone(), (c.id, group, c.name_zh.clone()));
        }

        let mut serials = HashSet::new();
        let mut person = 0usize;
        for (n, &(name, short, region, level, profile, domain, has_window)) in CUSTOMERS.iter().enumerate() {
            let input = CustomerInput {
                name: Some(name.into()),
                short_name: Some(short.into()),
                region: Some(region.into()),
                level: Some(level.into()),
                ..CustomerInput::default()
            };
            let mut customer = self.create_customer(&admin, &input).await?;
            let departments = match profile {
                Profile::Office => DEPARTMENTS_OFFICE,
                Profile::Factory => DEPARTMENTS_FACTORY,
                Profile::Print => DEPARTMENTS_PRINT,
            };
            let mut contacts = Vec::new();
            let mut primary_pinyin = "";
            for k in 0..rng.random_range(2..4) {
                let (pinyin, person_name) = PEOPLE[person % PEOPLE.len()];
                person += 1;
                if k == 0 {
                    primary_pinyin = pinyin;
                }
                let input = ContactInput {
                    name: Some(person_name.into()),
                    phone: Some(mobile(rng)),
                    email: Some(format!("{pinyin}{}@{domain}", k + 1)),
                    department: Some(departments[k % departments.len()].into()),
                    // Some foreign-invested customers' second contact reads English.
                    lang: (k == 1 && n % 5 == 4).then_some(aftersales_domain::Lang::En),
                };
                let contact = self.create_contact(&admin, customer.id, &input).await?;
                contacts.push((contact.id, contact.name));
            }
            let specialist = org.staff(match region {
                "华东" => "specialist1",
                "华南" => "specialist2",
                _ => "specialist3",
            })?;
            customer.specialist_id = Some(org.actors[specialist].user.id);
            customer.window_contact_id = has_window.then_some(contacts[0].0);
            let input = CustomerInput {
                name: Some(customer.name.clone()),
                short_name: Some(customer.short_name.clone()),
                region: Some(customer.region.clone()),
                level: Some(customer.level.clone()),
                window_contact_id: customer.window_contact_id,
                specialist_id: customer.specialist_id,
                calendar: customer.calendar.clone(),
            };
            self.update_customer(&admin, customer.id, &input).await?;
            let input = UserInput {
                username: Some(format!("c{:02}.{primary_pinyin}", n + 1)),
                display_name: Some(contacts[0].1.clone()),
                role: Some(Role::CustomerContact),
                email: Some(format!("{primary_pinyin}1@{domain}")),
                customer_id: Some(customer.id),
                contact_id: Some(contacts[0].0),
                ..UserInput::default()
            };
            let mut user = input.check()?;
            self.create_user_hashed(&mut user, Some(hash.clone())).await?;
            let user_actor = org.actors.len();
            org.by_user.insert(user.id, user_actor);
            org.actors.push(Actor { user });

            let families: Vec<Family> = match profile {
                Profile::Office => {
                    let mut f = vec![Family::Mfp, Family::Mfp, Family::Printer];
                    if rng.random_bool(0.5) {
                        f.push(Family::Printer);
                    }
                    f
                }
                Profile::Factory => {
                    let mut f = vec![Family::Mfp, Family::Plc, Family::Cnc];
                    if rng.random_bool(0.5) {
                        f.push(Family::Label);
                    }
                    if rng.random_bool(0.5) {
                        f.push(if rng.random_bool(0.5) { Family::Plc } else { Family::Cnc });
                    }
                    f
                }
                Profile::Print => vec![Family::Wide, Family::Wide, Family::Mfp, Family::Printer],
            };
            let mut devices = Vec::new();
            let today = cal.day(now);
            for family in families {
                let models: Vec<_> = MODELS.iter().filter(|m| m.1 == family).collect();
                let &&(model, _, consumable, prefix) = pick(rng, &models);
                let location = *match (profile, family) {
                    (Profile::Factory, Family::Plc | Family::Cnc) => pick(rng, LOCATIONS_LINE),
                    (_, Family::Label) => pick(rng, LOCATIONS_WAREHOUSE),
                    (Profile::Factory, _) => pick(rng, LOCATIONS_PLANT_OFFICE),
                    (Profile::Print, _) => pick(rng, LOCATIONS_PRINT),
                    _ => pick(rng, LOCATIONS_OFFICE),
                };
                let serial = loop {
                    let s = format!("{prefix}{:07}", rng.random_range(0..10_000_000u32));
                    if serials.insert(s.clone()) {
                        break s;
                    }
                };
                let bought = today - rng.random_range(150..1800);
                let warranty_years = rng.random_range(1..4);
                let input = DeviceInput {
                    customer_id: Some(customer.id),
                    model: Some(model.into()),
                    serial: Some(serial),
                    location: Some(location.into()),
                    purchase_date: Some(civil_date(bought)?),
                    warranty_end: Some(civil_date(bought + 365 * warranty_years)?),
                    consumable_model: consumable.map(Into::into),
                };
                let d = self.create_device(&admin, &input).await?;
                devices.push(Dev { id: d.id, family, location });
            }
            org.customers.push(Cust {
                id: customer.id,
                level,
                region,
                profile,
                contacts,
                has_window,
                user: user_actor,
                specialist,
                devices,
            });
        }
        Ok(org)
    }

    async fn run_step(&self, org: &Org, specs: &[Spec], live: &mut [Option<Live>], step: &Step) -> Result<()> {
        let spec = &specs[step.ticket];
        let customer = &org.customers[spec.customer];
        let orig_number = spec.refers_to.and_then(|i| live[i].as_ref()).map(|l| l.ticket.number.to_string());
        let orig = |text: &str| -> String {
            match &orig_number {
                Some(n) => text.replace("{orig}", n),
                None => text.to_owned(),
            }
        };
        let actor = match (step.who, live[step.ticket].as_ref()) {
            (Who::Staff(i), _) => &org.actors[i],
            (Who::Customer, _) => &org.actors[customer.user],
            (Who::First, Some(l)) => {
                let id = l.ticket.first_line_id.ok_or_else(|| demo_error("no first-line engineer".into()))?;
                &org.actors[*org.by_user.get(&id).ok_or_else(|| demo_error(format!("no user {id}")))?]
            }
            (Who::Second, Some(l)) => {
                let id = l.ticket.second_line_id.or(l.ticket.first_line_id);
                let id = id.ok_or_else(|| demo_error("no engineer".into()))?;
                &org.actors[*org.by_user.get(&id).ok_or_else(|| demo_error(format!("no user {id}")))?]
            }
            (_, None) => return Err(demo_error("ticket not registered".into())),
        };
        match &step.op {
            Op::Register => {
                let complaint_about = if spec.kind == Kind::Complaint { orig_number.clone() } else { None };
                let r = Registration {
                    customer_id: Some(customer.id),
                    contact_id: Some(spec.contact.0),
                    channel: Some(spec.channel),
                    kind: Some(spec.kind),
                    category_id: org.categories.get(spec.category).map(|c| c.0),
                    device_id: spec.device,
                    fault_code: spec.fault_code.map(Into::into),
                    description: Some(orig(&spec.description)),
                    occurred_at: Some(ts(spec.at - spec.occurred_before * MIN)?),
                    impact_scope: Some(spec.impact.clone()),
                    expected_resolution: spec.expected.map(|e| e.0.to_owned()),
                    expected_by: spec.expected.map(|e| ts(spec.at + e.1)).transpose()?,
                    cooperating_departments: spec.departments.clone(),
                    complaint_about,
                    ..Registration::default()
                };
                let ticket = if actor.is_customer() {
                    let c = fresh(self.customer_register(actor, &r, None).await?)?;
                    self.ticket(&Actor::operator(), c.id).await?.ticket
                } else {
                    fresh(self.register(actor, &r, None).await?)?.ticket
                };
                live[step.ticket] = Some(Live { ticket, request: None });
            }
            Op::Act(cmd) => {
                let l = live[step.ticket].as_mut().ok_or_else(|| demo_error("ticket not registered".into()))?;
                let cmd = match cmd {
                    Command::Cancel { reason, note } => {
                        Command::Cancel { reason: *reason, note: note.as_deref().map(&orig) }
                    }
                    Command::RequestSecondLine { engineer_id: None, reason } => Command::RequestSecondLine {
                        engineer_id: second_line_for(org, &l.ticket, customer.region),
                        reason: reason.clone(),
                    },
                    other => other.clone(),
                };
                if actor.is_customer() {
                    fresh(self.customer_act(actor, l.ticket.id, Some(l.ticket.version), &cmd, None).await?)?;
                    l.ticket = self.ticket(&Actor::operator(), l.ticket.id).await?.ticket;
                } else {
                    let out = fresh(self.act(actor, l.ticket.id, Some(l.ticket.version), &cmd, None).await?)?;
                    l.ticket = out.ticket.ticket;
                    if let Some(q) = out.priority_change_request {
                        l.request = Some(q.id);
                    }
                }
            }
            Op::Log(kind, body) => {
                let l = live[step.ticket].as_mut().ok_or_else(|| demo_error("ticket not registered".into()))?;
                fresh(self.add_log(actor, l.ticket.id, *kind, body, None, None).await?)?;
                // An entry that moves a clock (progress, report, arrival) moves the version.
                l.ticket = self.ticket(&Actor::operator(), l.ticket.id).await?.ticket;
            }
            Op::Decide { approve, note } => {
                let l = live[step.ticket].as_mut().ok_or_else(|| demo_error("ticket not registered".into()))?;
                let request = l.request.take().ok_or_else(|| demo_error("no pending request".into()))?;
                let out = self.decide_priority_change(actor, request, *approve, Some(note)).await?;
                l.ticket = out.ticket.ticket;
            }
        }
        Ok(())
    }
}

/// A second-line engineer of the ticket's group other than its first-line engineer, same region first.
fn second_line_for(org: &Org, t: &Ticket, region: &str) -> Option<Id> {
    let group = t.group_id?;
    let mut candidates: Vec<&Engineer> = org
        .engineers
        .iter()
        .filter(|e| {
            e.second_line && org.actors[e.actor].user.group_id == Some(group) && t.first_line_id != Some(e.user_id)
        })
        .collect();
    candidates.sort_by_key(|e| (e.region != region, e.user_id));
    candidates.first().map(|e| e.user_id)
}

/// The civil date of day number `day` (days since 1970-01-01).
fn civil_date(day: i64) -> Result<Date> {
    let epoch = Date::new(1970, 1, 1).map_err(|e| demo_error(e.to_string()))?;
    epoch.checked_add(jiff::Span::new().days(day)).map_err(|e| demo_error(e.to_string()))
}
