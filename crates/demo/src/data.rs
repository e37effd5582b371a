//! The demo's data tables: staff, customers, people, device models, faults, requests, and
//! the words people write on tickets.

use aftersales_domain::role::Role;
use aftersales_domain::ticket::Kind;

/// A staff member: (username, display name, role, region, handling group code).
pub(crate) type StaffRow = (&'static str, &'static str, Role, Option<&'static str>, Option<&'static str>);

/// How many of [`STAFF`] the demo had at its first release; later rows are appended.
pub(crate) const FIRST_RELEASE_STAFF: usize = 32;

pub(crate) const STAFF: &[StaffRow] = &[
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
    ("keeper1", "马红梅", Role::PartsKeeper, None, None),
];

/// The users whose tokens the summary hands out (one per role; the customer contact is added).
pub(crate) const LOGINS: &[&str] = &[
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
    "keeper1",
    "admin",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Profile {
    /// Offices, hospitals, schools: copiers and printers.
    Office,
    /// Manufacturers: production lines plus office devices.
    Factory,
    /// Print shops and design institutes: wide-format printers.
    Print,
}

/// Customers: (name, short name, region, level, profile, e-mail domain, has a designated window).
pub(crate) const CUSTOMERS: &[(&str, &str, &str, &str, Profile, &str, bool)] = &[
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
pub(crate) const PEOPLE: &[(&str, &str)] = &[
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
pub(crate) enum Family {
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
pub(crate) const MODELS: &[(&str, Family, Option<&str>, &str)] = &[
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
pub(crate) type Fault =
    (Family, &'static str, &'static str, i32, Option<&'static str>, &'static str, &'static str, &'static str);

#[rustfmt::skip]
pub(crate) const FAULTS: &[Fault] = &[
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
pub(crate) type Request = (Kind, &'static str, i32, bool, &'static str, &'static str, &'static str);

#[rustfmt::skip]
pub(crate) const REQUESTS: &[Request] = &[
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
pub(crate) const COMPLAINTS: &[(&str, &str, &str)] = &[
    ("service_attitude", "对工单 {orig} 的处理不满意：工程师预约上午到场，实际下午三点才到，且未提前告知", "已向客户致歉，调整该区域排班并要求工程师迟到须提前 1 小时通知客户"),
    ("product_quality", "工单 {orig} 同一故障反复出现，多次报修仍未彻底解决，要求评估更换设备", "二线工程师彻查根因并更换主要组件，已与客户约定一个月内每周回访"),
    ("logistics_delay", "工单 {orig} 等待备件超过一周，期间无人主动告知进度", "已向客户致歉，备件改为顺丰加急，并建立备件超期每日通报机制"),
];

pub(crate) const LOCATIONS_OFFICE: &[&str] = &[
    "3楼财务部",
    "2楼行政部",
    "5楼市场部",
    "1楼前台",
    "4楼人事部",
    "6楼总经理办公室",
    "信息中心机房",
    "2楼会议室旁打印间",
];
pub(crate) const LOCATIONS_LINE: &[&str] =
    &["一车间A线", "一车间B线", "二车间装配线", "三车间机加工区", "冲压车间", "涂装线控制柜"];
pub(crate) const LOCATIONS_PLANT_OFFICE: &[&str] = &["办公楼2楼行政部", "质检室", "办公楼3楼财务部"];
pub(crate) const LOCATIONS_WAREHOUSE: &[&str] = &["仓库发货区", "成品包装线"];
pub(crate) const LOCATIONS_PRINT: &[&str] = &["制图室", "输出中心", "1楼快印区"];

pub(crate) const DEPARTMENTS_OFFICE: &[&str] = &["行政部", "信息中心", "财务部", "综合办公室"];
pub(crate) const DEPARTMENTS_FACTORY: &[&str] = &["设备部", "生产部", "信息部", "行政部"];
pub(crate) const DEPARTMENTS_PRINT: &[&str] = &["生产部", "设备科", "行政部"];

pub(crate) const GRADE_REASONS: [&[&str]; 4] = [
    &["产线停机，核心业务中断", "核心业务中断，客户要求立即处理", "整线停产，影响当日交付"],
    &["部分功能异常，影响部门工作效率", "设备主要功能不可用，有临时替代方案", "影响多人使用，效率明显下降"],
    &["单台设备故障，可临时使用其他设备", "一般故障，不影响核心业务", "影响范围小，按一般问题处理"],
    &["咨询类问题，不影响正常使用", "使用技巧类问题，按低频处理", "文档与操作类需求"],
];
pub(crate) const DOWNGRADE_REASONS: &[&str] =
    &["客户已启用备用设备，影响范围缩小", "现场确认仅个别功能受影响", "客户同意延后处理，业务影响降低"];
pub(crate) const RESPOND_ON_SITE: &[&str] = &[
    "已电话联系{c}，确认故障现象，约定今日上门",
    "已电话联系{c}，约定明早 9 点上门",
    "已与{c}确认报警代码与发生频次，约定上门时间",
];
pub(crate) const RESPOND_REMOTE: &[&str] = &[
    "已联系{c}，远程查看设备状态并指导临时处理",
    "已与{c}确认报警代码与发生频次，安排远程处理",
    "已电话联系{c}，约定今日下午远程协助",
];
pub(crate) const ON_SITE: &[&str] = &[
    "工程师已到达现场，与客户确认故障现象后开始拆检",
    "到场检查，复现故障并记录报警履历",
    "现场测试完成，设备运行正常，客户在场确认",
];
pub(crate) const REMOTE: &[&str] = &["远程登录设备管理页面，检查并调整相关参数", "通过远程协助检查驱动与网络设置"];
pub(crate) const CUSTOMER_MESSAGES: &[&str] = &[
    "请尽快处理，明天上午需要打印投标文件",
    "下午 2 点后有人在，可以上门",
    "请上门前电话联系，园区需要提前登记车辆",
    "这台设备是部门唯一的一台，请优先安排",
];
pub(crate) const WAIT_CUSTOMER: &[&str] = &[
    "客户月底结账，约定下周一上门",
    "需客户提供设备管理员密码，等待客户信息部回复",
    "设备所在区域本周封闭施工，等待客户通知",
];
pub(crate) const SECOND_LINE_REASONS: &[&str] = &[
    "现场更换常规部件后故障依旧，申请二线支持",
    "报警涉及主控板，需二线工程师远程协助分析",
    "疑似固件问题，需二线分析日志",
];
pub(crate) const SECOND_LINE_LOGS: &[&str] = &[
    "二线远程分析日志，确认为控制板通讯异常，建议更换相关组件",
    "二线到场协同排查，定位为接线端子松动并已紧固",
    "二线复核诊断结论，指导一线按标准流程更换并做参数备份",
];
pub(crate) const INSTRUCTIONS_PM: &[&str] =
    &["三天未结：请技术组长今日内给出明确解决时间并告知客户", "三天未结：请备件组加急调货，每日 17 点前向客户通报进度"];
pub(crate) const INSTRUCTIONS_GM: &[&str] = &["战略客户，务必本周内闭环", "请项目经理亲自跟进，明日汇报进展"];
pub(crate) const REFUSALS: &[&str] =
    &["问题未彻底解决，今天又出现一次同样报警", "打印件仍有轻微条纹，要求再次处理", "试运行半天后再次停机，不同意结案"];
pub(crate) const INVALID_NOTES: &[&str] = &[
    "客户确认为操作不当，非设备故障",
    "客户自行重启后恢复，确认无需处理",
    "报修设备不在我司维保范围，已告知客户联系原厂",
];

pub(crate) const PROGRESS: &[&str] = &[
    "已告知客户当前进度：工程师处理中，明日上午继续",
    "已电话告知客户：备件在途，预计明日到货后上门更换",
    "已告知客户今日排查结果及下一步计划（内容由项目专员提供）",
    "已向客户窗口通报进展：远程诊断完成，待安排现场处理",
];
