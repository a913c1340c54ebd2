//! The command line (clap). One binary; every command has `--help`.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::i18n::Lang;

#[derive(Debug, Parser)]
#[command(
    name = "jiedai",
    version,
    about = "接待：人大代表联络站接待选民日登记终端 / reception kiosk for deputy liaison stations"
)]
pub struct Cli {
    /// 数据目录（默认为系统的数据目录）/ data directory (default: the platform's data directory)
    #[arg(long, global = true, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// 界面语言 / interface language
    #[arg(long, global = true, value_enum, default_value = "zh")]
    pub lang: Lang,
    /// 键位：default、vim 或键位文件路径 / key layout: default, vim or a path to a keymap file
    #[arg(long, global = true, value_name = "NAME|PATH")]
    pub keymap: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// 在临时数据目录中打开演示站点（数据来自 sample-data/）/ open the kiosk on a fresh demo station
    Demo {
        /// 演示打印用的打印机：tcp://主机:端口 或文件的完整路径 / a printer to show printing on: tcp://HOST:PORT or the full path of a file
        #[arg(long, value_name = "TARGET")]
        printer: Option<String>,
    },
    /// 按站点文件（TOML）设置站点 / set up a station from a TOML file
    Init {
        /// 站点文件，格式见 sample-data/station.toml / station file
        #[arg(long, value_name = "FILE")]
        station: PathBuf,
        /// 本机终端号（同一站点多台终端时每台各不相同，1-9；新设置默认 1，重新设置时默认不变）/ this machine's terminal number (1-9, a different one on each machine of a station; default 1 when new, unchanged when reconfiguring)
        #[arg(long, value_parser = clap::value_parser!(u8).range(1..=9))]
        terminal: Option<u8>,
        /// 重新设置已设置过的站点（更新人员、PIN、承办单位等）/ set up again a directory that already holds the station (staff, PINs, units...)
        #[arg(long)]
        reconfigure: bool,
        /// 与 --reconfigure 同用：更改已发出过查询码的终端的终端号 / with --reconfigure: change the number of a terminal that has already issued codes
        #[arg(long, requires = "reconfigure")]
        change_terminal: bool,
    },
    /// 导入代表名册或诉求（CSV 或 JSONL）/ import deputies or appeals (CSV or JSONL)
    Import {
        #[command(subcommand)]
        what: ImportWhat,
    },
    /// 导出诉求或站点台账 / export appeals or the station's ledgers
    Export {
        #[command(subcommand)]
        what: ExportWhat,
    },
    /// 搜索诉求（与终端中的搜索相同）/ search appeals (the same search as the kiosk's)
    Find {
        /// 任意文字、查询码或姓名拼音首字母，几个词须都相符 / any text, a tracking code or pinyin initials of a name; several words must all match
        #[arg(required = true, num_args = 1..)]
        query: Vec<String>,
        /// 只看某一状态，如 已交办 或 referred / only this status
        #[arg(long, value_name = "S")]
        status: Option<String>,
        /// 以 JSON Lines 输出 / print JSON lines
        #[arg(long)]
        json: bool,
    },
    /// 核对数据库与日志是否一致 / verify the database against the journal
    Check {
        /// 从日志重建数据库（原数据库改名保留）/ rebuild the database from the journal (the old one is kept aside)
        #[arg(long)]
        rebuild: bool,
        /// 舍弃日志中损坏的记录（原字节另存），再重建数据库；会丢弃记录，仅在无备份可恢复时使用 / drop the journal's damaged records (their bytes are kept aside), then rebuild; records WILL be dropped: only when no backup can be restored
        #[arg(long, conflicts_with = "journal_from_database")]
        drop_damaged_records: bool,
        /// 日志丢失时，由数据库重写日志（旧日志保留），再重建数据库 / when the journal was lost, write a new one from the database (the old one is kept), then rebuild
        #[arg(long)]
        journal_from_database: bool,
    },
    /// 打印回执、测试页，重试未完成的打印任务 / print receipts, a test page, or retry unfinished jobs
    Print {
        #[command(subcommand)]
        what: PrintWhat,
    },
    /// 生成代表或站点二维码（PNG 或 SVG）/ make a deputy's or the station's QR code (PNG or SVG)
    Qr {
        #[command(subcommand)]
        what: QrWhat,
    },
    /// 导入县人大办发来的同步凭据文件 / load the sync credentials file the county office sent
    Enroll {
        /// 凭据文件（TOML）/ credentials file (TOML)
        file: PathBuf,
    },
    /// 与县里同步一次：上报本终端的记录，取回县里的交办和答复（供 cron 或 systemd 定时器调用）/ sync once with the county (for cron or a systemd timer)
    Sync {
        /// 网络出错时最多尝试几次 / how many times to try when the network fails
        #[arg(long, default_value_t = 5)]
        attempts: u32,
    },
    /// 县人大办：同步服务器与工作命令 / the county office: the sync server and staff commands
    #[cfg(feature = "county")]
    County {
        /// 数据库：sqlite://文件 或 postgres://…（默认为数据目录下的 county.db）/ database: sqlite://FILE or postgres://… (default: county.db in the data directory)
        #[arg(long, global = true, value_name = "URL")]
        db: Option<String>,
        /// 县里的时区（IANA 时区名，默认 Asia/Shanghai），由 serve 记入县里的数据库，之后各命令都用它；只有 serve 能改 / the county's time zone (an IANA name, default Asia/Shanghai): serve records it in the county's database and every command then uses it; only serve changes it
        #[arg(long, global = true, value_name = "ZONE")]
        time_zone: Option<String>,
        #[command(subcommand)]
        what: CountyWhat,
    },
}

#[cfg(feature = "county")]
#[derive(Debug, Subcommand)]
pub enum CountyWhat {
    /// 运行县里的同步服务器与公开查询页面 / run the county's sync server and public pages
    Serve {
        /// 监听地址 / address to listen on
        #[arg(long, default_value = "127.0.0.1:8440", value_name = "ADDR")]
        listen: String,
        /// TLS 证书（PEM）/ TLS certificate (PEM)
        #[arg(long, value_name = "FILE", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// TLS 私钥（PEM）/ TLS private key (PEM)
        #[arg(long, value_name = "FILE", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// 开放 /v1/probe（测量站点线路与同步基准测试用）/ serve /v1/probe (for measuring a station's link and the sync benchmark)
        #[arg(long)]
        allow_probe: bool,
        /// 县里自己的节假日表（TOML，如明年的放假安排），记入县里的数据库，之后各命令按它计算工作日；表中每一年替换随程序发布的该年 / the county's own holiday table (TOML, e.g. next year's arrangement), recorded in the county's database for every command to count working days by; each year it lists replaces the shipped one
        #[arg(long, value_name = "FILE")]
        holidays: Option<PathBuf>,
    },
    /// 登记一个联络站并写出它的同步凭据文件 / enroll a station and write its credentials file
    Enroll {
        /// 站点代码（9 位）/ station code (9 digits)
        #[arg(long)]
        station: String,
        /// 站点名称 / station name
        #[arg(long)]
        name: String,
        /// 凭据文件输出路径 / where to write the credentials file
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// 站点连接本服务器所用的地址 / the URL stations use to reach this server
        #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:8440")]
        url: String,
        /// 站点应信任的服务器证书或县里自建 CA 的证书（PEM），写入凭据；用于自签证书的 https:// 地址 / the server's certificate or the county's CA (PEM) the station is to trust, put in the credentials; for an https:// URL with a self-signed certificate
        #[arg(long, value_name = "FILE")]
        ca: Option<PathBuf>,
        /// 重新登记已登记的站点：换发新密钥，旧凭据随即作废 / enroll an enrolled station again: a new key, the old credentials stop working
        #[arg(long)]
        replace: bool,
    },
    /// 列出诉求：筛选、排序、分页，末行为总数 / list appeals: filtered, sorted, paged, with a count
    Appeals(Box<AppealsArgs>),
    /// 受理 / accept an appeal
    Accept {
        code: String,
        /// 操作人 / who does it
        #[arg(long, default_value = "县人大代表工委")]
        actor: String,
    },
    /// 交办：指定承办单位（目录中的全称或拼音首字母）和期限 / refer an appeal to a unit of the catalogue (full name or pinyin initials) with a deadline
    Refer(Referral),
    /// 改派：改由另一承办单位办理，重定期限 / refer an appeal to another unit, with a new deadline
    Rerefer(Referral),
    /// 退回：承办单位退回县人大办重新交办 / a unit sends an appeal back to the office
    Return {
        code: String,
        /// 退回理由 / why
        #[arg(long)]
        reason: String,
        #[arg(long, default_value = "县人大代表工委")]
        actor: String,
    },
    /// 办理进展 / report how the handling goes
    Progress {
        code: String,
        /// 进展情况 / the report
        #[arg(long)]
        text: String,
        #[arg(long, default_value = "县人大代表工委")]
        actor: String,
    },
    /// 督办 / chase the handling unit
    Chase {
        code: String,
        /// 督办意见 / the chase's words
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long, default_value = "县人大代表工委")]
        actor: String,
    },
    /// 延期：办理期限延后 / move the deadline to a later day
    Extend {
        code: String,
        /// 新期限 YYYY-MM-DD，须晚于原期限 / the new deadline, later than the current one
        #[arg(
            long,
            value_name = "DATE",
            required_unless_present = "working_days",
            conflicts_with = "working_days"
        )]
        due: Option<String>,
        /// 在原期限后延 N 个工作日（按节假日表）/ move the deadline N working days past the current one (by the holiday table)
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=250))]
        working_days: Option<u32>,
        /// 延期理由 / why
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long, default_value = "县人大代表工委")]
        actor: String,
    },
    /// 答复 / reply to an appeal
    Reply {
        code: String,
        #[arg(long)]
        text: String,
        /// 答复文号 / the reply's document number
        #[arg(long)]
        document: Option<String>,
        /// 答复类别 A 已解决、B 正在解决、C 列入计划、D 因条件限制暂不能解决 / the reply's class, A–D
        #[arg(long, value_name = "A|B|C|D")]
        class: Option<String>,
        #[arg(long, default_value = "县人大代表工委")]
        actor: String,
    },
    /// 办结销号 / close an appeal
    Close {
        code: String,
        #[arg(long, default_value = "县人大代表工委")]
        actor: String,
    },
    /// 查看一件诉求的全部内容与办理经过 / show an appeal whole, with its timeline
    Show {
        code: String,
        /// 以 JSON 输出 / print JSON
        #[arg(long)]
        json: bool,
    },
    /// 承办单位目录 / the catalogue of handling units
    Unit {
        #[command(subcommand)]
        what: UnitWhat,
    },
    /// 导出全县诉求 / export the county's appeals
    Export {
        #[arg(long, value_enum)]
        format: Format,
        /// 输出文件（默认标准输出；xlsx 必须给出）/ output file (default standard output; required for xlsx)
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// 网页工作台的账号：新建、改密码、停用、列出 / the console's accounts: add, change a password, disable, list
    User {
        #[command(subcommand)]
        what: UserWhat,
    },
}

#[cfg(feature = "county")]
#[derive(Debug, Subcommand)]
pub enum UserWhat {
    /// 新建账号（在终端上输入两次密码）/ add an account (the password typed twice on the terminal)
    Add {
        /// 用户名（即登录名，县里的事件以此署名）/ user name (the login name, and the name county events carry)
        name: String,
        /// 角色：office（县人大办）、unit（承办单位）、viewer（只读）/ role: office, unit or viewer
        #[arg(long)]
        role: String,
        /// 承办单位的账号所属单位（须在单位目录中）/ a unit account's unit (one of the catalogue)
        #[arg(long)]
        unit: Option<String>,
        /// 从标准输入读一行作为密码 / read the password as one line from standard input
        #[arg(long)]
        password_stdin: bool,
    },
    /// 重设密码（该账号的登录随即全部结束）/ set a new password (the account's sessions end)
    Passwd {
        name: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// 停用账号（其登录随即全部结束）/ disable an account (its sessions end)
    Disable { name: String },
    /// 列出账号 / list the accounts
    List {
        #[arg(long)]
        json: bool,
    },
}

/// A referral's arguments (交办 and 改派 alike).
#[cfg(feature = "county")]
#[derive(Debug, clap::Args)]
pub struct Referral {
    pub code: String,
    /// 承办单位：目录中的全称或拼音首字母 / the unit: its full name in the catalogue or its pinyin initials
    #[arg(long)]
    pub unit: String,
    /// 期限 YYYY-MM-DD / deadline
    #[arg(
        long,
        value_name = "DATE",
        required_unless_present = "working_days",
        conflicts_with = "working_days"
    )]
    pub due: Option<String>,
    /// 期限为今天起第 N 个工作日（按节假日表，跳过周末和法定假日，计入调休上班日）/ the deadline as N working days from today (by the holiday table: weekends and public holidays skipped, make-up working days counted)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=250))]
    pub working_days: Option<u32>,
    /// 办理要求 / what the unit is asked to do
    #[arg(long, default_value = "")]
    pub note: String,
    /// 操作人 / who does it
    #[arg(long, default_value = "县人大代表工委")]
    pub actor: String,
}

#[cfg(feature = "county")]
#[derive(Debug, Subcommand)]
pub enum UnitWhat {
    /// 加入一个承办单位 / add a unit
    Add {
        /// 单位全称 / the unit's full name
        name: String,
    },
    /// 列出承办单位（名称与拼音首字母）/ list the units (name and pinyin initials)
    List {
        /// 包括已停用的 / with the disabled ones
        #[arg(long)]
        all: bool,
    },
    /// 把各站诉求和站点文件中的承办单位加入目录 / add the units the stations' appeals and files name
    Import,
    /// 停用一个承办单位（已交办的诉求不受影响）/ disable a unit (appeals referred to it stay so)
    Disable {
        /// 单位全称 / the unit's full name
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum PrintWhat {
    /// 打印诉求回执（首次打印时生成查询密钥）/ print an appeal's receipt (issuing its access key if it has none)
    Receipt {
        /// 查询码 / tracking code
        code: String,
        /// 打印机：tcp://主机:端口、file:///dev/usb/lp0 或文件路径 / printer: tcp://HOST:PORT, file:///dev/usb/lp0 or a file
        #[arg(long, value_name = "T")]
        printer: Option<String>,
    },
    /// 打印测试页（中文与二维码）/ print a test page (Chinese text and a QR code)
    Test {
        #[arg(long, value_name = "T")]
        printer: Option<String>,
    },
    /// 打印代表接待选民登记表：空白表，或用 --visit 打印一次来访已填好的表 / print the visitor registration form: blank, or filled for a visit with --visit
    Form {
        /// 来访登记号（登记时发出的编号）/ the visit's code
        #[arg(long, value_name = "CODE")]
        visit: Option<String>,
        #[arg(long, value_name = "T")]
        printer: Option<String>,
    },
    /// 打印一个季度的代表履职积分公示单 / print a quarter's deputies' duty points for the notice board
    Points {
        /// 季度，如 2026Q4 / the quarter, e.g. 2026Q4
        #[arg(long, value_name = "QUARTER")]
        quarter: String,
        #[arg(long, value_name = "T")]
        printer: Option<String>,
    },
    /// 重新发送未完成和失败的打印任务 / send pending and failed jobs again
    Retry {
        #[arg(long, value_name = "T")]
        printer: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum QrWhat {
    /// 代表专属二维码 / a deputy's code
    Deputy {
        /// 代表编号 / deputy id
        id: String,
        /// 输出文件（.png 或 .svg）/ output file (.png or .svg)
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// 站点二维码 / the station's code
    Station {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportWhat {
    /// 代表名册：编号,姓名,层级,电话,专长,值班日 / deputies
    Deputies {
        file: PathBuf,
        /// 从文件第 N 行起导入（此前的行跳过；中断后续导入时用）/ import from physical line N on (to resume a stopped import)
        #[arg(long, value_name = "N")]
        from_line: Option<u64>,
    },
    /// 诉求：日期,姓名,电话,身份证号,住址,类别,诉求内容,接待代表,办理状态… / appeals
    Appeals {
        file: PathBuf,
        /// 从文件第 N 行起导入（此前的行跳过；中断后续导入时用）/ import from physical line N on (to resume a stopped import)
        #[arg(long, value_name = "N")]
        from_line: Option<u64>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Jsonl,
    Csv,
    Xlsx,
}

#[derive(Debug, Subcommand)]
pub enum ExportWhat {
    /// 全部诉求及其办理历史 / every appeal with its history
    Appeals {
        #[arg(long, value_enum)]
        format: Format,
        /// 输出文件（默认输出到标准输出；xlsx 必须指定）/ output file (default: standard output; required for xlsx)
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// 站点台账（接待选民登记簿、意见建议办理台账、代表进站履职登记、履职档案），一个 xlsx 文件 / the station's ledgers for a period, one xlsx workbook
    Ledgers(Box<LedgersArgs>),
}

/// `export ledgers`: the period (exactly one of its forms) and the file.
#[derive(Debug, clap::Args)]
pub struct LedgersArgs {
    /// 起始日期 YYYY-MM-DD（与 --to 同用）/ first day (with --to)
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// 截止日期 YYYY-MM-DD（含当天）/ last day, included
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// 季度，如 2026Q4 / a quarter, e.g. 2026Q4
    #[arg(long, value_name = "YYYYQN")]
    pub quarter: Option<String>,
    /// 月份，如 2026-11 / a month, e.g. 2026-11
    #[arg(long, value_name = "YYYY-MM")]
    pub month: Option<String>,
    /// 年份，如 2026 / a year, e.g. 2026
    #[arg(long, value_name = "YYYY")]
    pub year: Option<String>,
    /// 输出文件（.xlsx，必须给出）/ output file (.xlsx, required)
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `county appeals`: the work queue's filters, order and page.
#[derive(Debug, clap::Args)]
pub struct AppealsArgs {
    /// 站点代码 / station code
    #[arg(long)]
    pub station: Option<String>,
    /// 状态：registered、accepted、referred、in_progress、replied、closed 或中文 / status
    #[arg(long)]
    pub status: Option<String>,
    /// 类别（代码或中文）/ category (code or label)
    #[arg(long)]
    pub category: Option<String>,
    /// 承办单位（全称）/ handling unit (its full name)
    #[arg(long)]
    pub unit: Option<String>,
    /// 接待代表编号 / a receiving deputy's id
    #[arg(long)]
    pub deputy: Option<String>,
    /// 已超期 / past the deadline
    #[arg(long)]
    pub overdue: bool,
    /// N 天内到期 / due within N days
    #[arg(long, value_name = "N")]
    pub due_within: Option<u32>,
    /// 曾被重新办理 / reopened at least once
    #[arg(long)]
    pub reopened: bool,
    /// 登记日期起 YYYY-MM-DD / registered on or after
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// 登记日期止 YYYY-MM-DD / registered on or before
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// 查询码，或在查询码、标题、内容、地点、承办单位、答复中查找的文字 / a code, or text to find in code, title, content, location, unit and reply
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// 排序：code、station、registered、category、title、status、unit、deadline、days_overdue、rounds、satisfaction / sort key
    #[arg(long, value_name = "KEY", default_value = "code")]
    pub sort: String,
    /// 倒序 / descending
    #[arg(long)]
    pub desc: bool,
    /// 第几页（从 1 起；默认全部）/ page number (from 1; all by default)
    #[arg(long, value_name = "N")]
    pub page: Option<u32>,
    /// 每页条数（默认 50，最多 1000）/ rows a page (50 by default, at most 1000)
    #[arg(long, value_name = "N")]
    pub size: Option<u32>,
    /// 每行一个 JSON 对象（总数写到标准错误）/ one JSON object a line (the count goes to standard error)
    #[arg(long)]
    pub json: bool,
}
