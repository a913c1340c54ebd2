//! The dashboard's words: its figures, charts, tables and downloads.

use super::{W, w};

pub const TITLE: W = w("统计", "Figures");
pub const SCOPE_UNIT: W = w("本单位承办的诉求", "The appeals referred to your unit");
pub const SCOPE_ALL: W = w("全县各联络站的诉求", "The appeals of every station in the county");
pub const TOTAL: W = w("诉求总数", "Appeals");
pub const CLOSED_RATE: W = w("办结率", "Closed");
pub const CLOSED_RATE_NOTE: W = w("已办结 / 全部诉求", "closed / all appeals");
pub const ON_TIME_RATE: W = w("按期办结率", "Replied on time");
pub const ON_TIME_RATE_NOTE: W = w(
    "在办理期限内答复 / 有期限且已答复",
    "replied by the deadline / replied with a deadline",
);
pub const SATISFIED_RATE: W = w("满意率", "Satisfied");
pub const SATISFIED_RATE_NOTE: W = w(
    "满意与基本满意 / 已评价",
    "satisfied or basically satisfied / rated",
);
pub const OVERDUE_NOW: W = w("当前逾期", "Overdue now");
pub const OVERDUE_NOW_NOTE: W = w(
    "已交办或办理中、已过办理期限",
    "referred or in progress, past the deadline",
);
pub const FIGURE: W = w("指标", "Figure");
pub const VALUE: W = w("数值", "Value");
pub const NUMERATOR: W = w("分子", "Numerator");
pub const DENOMINATOR: W = w("分母", "Denominator");
pub const MEANING: W = w("口径", "Counted as");
pub const COUNT: W = w("诉求数", "Appeals");
pub const RATES: W = w("主要指标", "Key figures");
pub const BY_STATUS: W = w("按办理状态", "By status");
pub const BY_CATEGORY: W = w("按诉求类别", "By category");
pub const BY_STATION: W = w("按联络站", "By station");
pub const BY_UNIT: W = w("按承办单位", "By handling unit");
pub const BY_MONTH: W = w(
    "按登记月份（近十二个月）",
    "By month registered (the last twelve)",
);
pub const STATUS: W = w("办理状态", "Status");
pub const CATEGORY: W = w("诉求类别", "Category");
pub const STATION: W = w("联络站", "Station");
pub const STATION_CODE: W = w("站点代码", "Station code");
pub const UNIT: W = w("承办单位", "Handling unit");
pub const MONTH: W = w("月份", "Month");
pub const NO_DATA: W = w("暂无数据", "Nothing to count yet");
pub const DOWNLOAD: W = w("下载", "Download");
pub const UNKNOWN_CHART: W = w("没有这张图表", "No such chart");
