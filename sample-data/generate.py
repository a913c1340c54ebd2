#!/usr/bin/env python3
"""Generate fictional sample data for jiedai (人大代表联络站接待登记).

Standard library only and deterministic: every random choice comes from
random.Random(20261122). Run from anywhere; files are written next to this
script. All people, phone numbers, ID numbers and places are invented.
"""

import csv
import datetime as dt
import os
import random

OUT = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(20261122)

COUNTY_CODE = "330999"          # fictional county code
TODAY = dt.date(2026, 11, 22)   # the "now" the overdue / due-soon rows are built around

# --------------------------------------------------------------------------
# station.toml
# --------------------------------------------------------------------------

STAFF = [
    ("S01", "沈佳怡", None),
    ("S02", "许文博", "2468"),
    ("S03", "钱小雨", None),
]

U = {
    "rs": "青禾县人力资源和社会保障局",
    "zj": "青禾县住房和城乡建设局",
    "jt": "青禾县交通运输局",
    "wj": "青禾县卫生健康局",
    "yb": "青禾县医疗保障局",
    "jy": "青禾县教育局",
    "wl": "青禾县文化广电旅游局",
    "hb": "禾州市生态环境局青禾分局",
    "mz": "青禾县民政局",
    "sj": "青禾县市场监督管理局",
    "zf": "青禾县综合行政执法局",
    "ga": "青禾县公安局",
    "pcs": "青禾县公安局明湖派出所",
    "sf": "青禾县司法局",
    "xf": "青禾县信访局",
    "fy": "青禾县人民法院",
    "jc": "青禾县人民检察院",
    "zr": "青禾县自然资源和规划局",
    "jd": "青禾县明湖街道办事处",
    "sq": "明湖街道柳岸社区居民委员会",
    "gd": "国网青禾县供电公司",
    "zls": "青禾县自来水有限公司",
    "fgw": "青禾县人大常委会法制工作委员会",
}
UNITS = list(U.values())


def write_station():
    lines = [
        "# Fictional sample station for jiedai. Every name, number and place is invented.",
        "[station]",
        'code = "330999012"',
        'name = "柳岸社区人大代表联络站"',
        'kind = "station"',
        'county = "青禾县"',
        'address = "青禾县明湖街道柳岸路88号"',
        "reception_days = [10, 20]",
        'reception_hours = "09:00-11:30"',
        "",
    ]
    for sid, name, pin in STAFF:
        lines.append("[[staff]]")
        lines.append(f'id = "{sid}"')
        lines.append(f'name = "{name}"')
        if pin is not None:
            lines.append(f'pin = "{pin}"')
        lines.append("")
    for u in UNITS:
        lines.append("[[units]]")
        lines.append(f'name = "{u}"')
        lines.append("")
    with open(os.path.join(OUT, "station.toml"), "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines).rstrip("\n") + "\n")


# --------------------------------------------------------------------------
# deputies
# --------------------------------------------------------------------------

# (name, level, specialties, duty days). 张山 / 赵爽 share initials "zs",
# 刘美华 / 李明辉 share "lmh".
DEPUTIES_SPEC = [
    ("陈立华", "全国", "法律、社会治理", "10"),
    ("周文清", "省", "教育", "20"),
    ("何建平", "省", "财经、企业管理", "10;20"),
    ("张山", "市", "城建、交通", "10"),
    ("林晓燕", "市", "医疗卫生", "20"),
    ("郑国栋", "市", "企业管理", "10"),
    ("赵爽", "县", "法律", "10;20"),
    ("王秀英", "县", "养老服务、社会工作", "10"),
    ("刘美华", "县", "教育、文化", "20"),
    ("李明辉", "县", "城建", "10;20"),
    ("孙海涛", "县", "环保、农业", "20"),
    ("吴桂芳", "县", "医疗卫生、养老服务", "10"),
    ("徐志刚", "乡镇", "物业管理", "20"),
    ("马丽", "乡镇", "社会工作", "10"),
    ("胡德顺", "乡镇", "交通、安全生产", "20"),
    ("高春梅", "乡镇", "食品安全", "10;20"),
    ("罗永强", "乡镇", "法律、调解", "20"),
    ("梁淑珍", "乡镇", "文化、教育", "10;20"),
]

DEPUTY_HEADER = ["编号", "姓名", "层级", "电话", "专长", "值班日"]


def deputy_rows():
    rows = []
    for i, (name, level, spec, days) in enumerate(DEPUTIES_SPEC, start=1):
        phone = f"13900001{200 + i:03d}"   # 139 0000 1201 .. 1218, fictional block
        rows.append([f"D{i:03d}", name, level, phone, spec, days])
    return rows


def write_deputies(rows):
    with open(os.path.join(OUT, "deputies.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(DEPUTY_HEADER)
        w.writerows(rows)
    with open(os.path.join(OUT, "deputies-gb18030.csv"), "w", encoding="gb18030", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(DEPUTY_HEADER)
        w.writerows(rows)


# --------------------------------------------------------------------------
# categories
# --------------------------------------------------------------------------

CATEGORIES = [
    ("jobs", "就业", "Jobs"),
    ("housing", "住房", "Housing"),
    ("traffic", "交通停车", "Traffic and parking"),
    ("medical", "医疗卫生", "Medical care"),
    ("education", "教育", "Education"),
    ("culture", "文化旅游", "Culture and tourism"),
    ("environment", "生态环境", "Environment"),
    ("elderly", "养老服务", "Elderly care"),
    ("food_safety", "食品安全", "Food safety"),
    ("urban", "城市管理", "Urban management"),
    ("security", "社会治安", "Public security"),
    ("disputes", "矛盾纠纷", "Disputes"),
    ("legal", "法律咨询", "Legal questions"),
    ("draft_law", "立法意见", "Draft-law opinions"),
    ("other", "其他", "Other"),
]
CAT_ZH = {c: zh for c, zh, _ in CATEGORIES}


def write_categories():
    with open(os.path.join(OUT, "categories.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["code", "名称", "name"])
        w.writerows(CATEGORIES)


# --------------------------------------------------------------------------
# appeals: pools and templates
# --------------------------------------------------------------------------

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵万钱严")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉萍红娥玲芬燕建国志福根兰凤梅荣德海林文云飞鹏波宁晨欣怡宇浩然子轩梓涵雨婷佳俊博嘉琪思源慧颖琳春兴永庆长发宝珍淑贵")

COMMUNITIES = ["柳岸社区", "荷塘社区", "南堤社区", "杏坛社区"]
XQ = ["柳岸东苑", "柳岸西苑", "桂香苑", "明湖花园", "青禾新村", "南堤小区", "荷塘里小区",
      "枫林苑", "老粮站宿舍", "纺织厂宿舍区", "水岸人家", "杏坛小区", "学府雅苑", "新桥公寓"]
OLD_XQ = ["老粮站宿舍", "纺织厂宿舍区", "青禾新村", "南堤小区", "荷塘里小区", "柳岸东苑"]
ROADS = ["柳岸路", "明湖大道", "青禾路", "南堤街", "荷塘路", "枫林巷", "学府路", "新桥路", "杏坛街"]
SCHOOLS = ["青禾县实验小学", "明湖街道中心小学", "青禾县第二中学", "明湖初级中学", "柳岸幼儿园"]
PRIMARY = ["青禾县实验小学", "明湖街道中心小学", "柳岸小学"]
HOSP = ["青禾县人民医院", "青禾县中医院", "明湖街道社区卫生服务中心"]
PARKS = ["明湖公园", "柳岸广场", "南堤滨水绿道", "荷塘湿地公园"]
MARKETS = ["明湖农贸市场", "柳岸菜市场", "南堤夜市"]
COMPANIES = ["青禾某建筑劳务公司", "明湖某物流公司", "某装修公司", "某服装加工厂", "某快递网点", "某连锁餐饮店"]
JOBS = ["木工", "保洁", "仓库搬运", "缝纫工", "送货司机", "厨房帮工", "钢筋工"]
RIVERS = ["柳岸河", "荷塘浜", "南堤河"]
SHOPS = ["好味道", "老街坊", "鲜丰", "福满楼"]

LAWS = [
    ("《江岚省养老服务条例（草案）》", "养老服务条例草案", [
        "建议明确社区老年食堂的运营补贴标准，避免开了又关",
        "建议对长期照护失能老人的家属提供喘息服务",
        "第二十三条中“鼓励”建议改为“应当”，增强约束力",
        "建议把居家适老化改造补贴写进条例，明确申请流程",
        "养老机构收费应当公示，并规定涨价前的告知期限",
    ]),
    ("《禾州市电动自行车管理条例（草案）》", "电动自行车管理条例草案", [
        "建议明确住宅小区充电设施的建设责任主体",
        "对骑手逆行的处罚应同时约束平台的配送时限考核",
        "第十五条头盔规定建议增加对乘坐儿童的要求",
        "老旧小区楼道充电的禁止性规定要配套集中充电点",
        "建议对已上牌的老旧车辆给出合理的过渡期",
    ]),
    ("《禾州市物业管理条例（修订草案）》", "物业管理条例修订草案", [
        "建议降低老旧小区成立业主大会的门槛",
        "维修资金使用程序太复杂，紧急维修应简化表决",
        "物业撤场交接应规定不少于三个月的过渡期",
        "物业服务收费和公共收益应当每季度公示",
        "建议明确社区居委会对无物业小区的兜底管理责任",
    ]),
    ("《江岚省未成年人保护条例（修订草案）》", "未成年人保护条例草案", [
        "建议规定学校周边二百米内不得设置电竞酒店",
        "网络游戏防沉迷应当明确家长的申诉渠道",
        "建议增加对留守儿童定期探访的具体要求",
        "校外托管机构的准入和监管部门需要写清楚",
    ]),
    ("《禾州市文明行为促进条例（草案）》", "文明行为促进条例草案", [
        "广场舞音量建议规定具体分贝和时段",
        "建议把高空抛物列为重点治理行为并明确处罚",
        "文明养犬条款应明确牵绳长度和清理粪便责任",
        "建议对见义勇为者的保护和奖励单列一条",
    ]),
]


def pick(seq):
    return rng.choice(seq)


def slots():
    n_cars = rng.randint(80, 200)
    return {
        "xq": pick(XQ), "old": pick(OLD_XQ), "road": pick(ROADS), "road2": pick(ROADS),
        "school": pick(SCHOOLS), "primary": pick(PRIMARY), "hosp": pick(HOSP),
        "park": pick(PARKS), "market": pick(MARKETS), "company": pick(COMPANIES),
        "job": pick(JOBS), "river": pick(RIVERS), "shop": pick(SHOPS),
        "b": rng.randint(1, 24), "u": rng.randint(1, 4), "floors": rng.choice([5, 6, 7]),
        "year": rng.choice([1988, 1992, 1995, 1998, 2001]), "age": rng.randint(45, 58),
        "months": rng.randint(2, 7), "money": rng.randint(8, 60) * 1000,
        "spaces": n_cars // 3, "cars": n_cars + rng.randint(100, 200),
        "n": rng.randint(2, 9), "hour": rng.choice([22, 23, 0, 1]),
        "kids": rng.randint(30, 80), "yuan": rng.randint(3, 40) * 100,
        "old_age": rng.randint(78, 93), "pct": rng.choice([60, 70, 75, 80]),
    }


# Each template: (title, content, place). Formatted with slots().
T = {
    "jobs": [
        ("{company}拖欠工资{months}个月",
         "本人在{company}做{job}，已被拖欠工资{months}个月共{money}元，多次找老板协商无果，现在老板电话也不接。"
         "同工地还有{n}个工友情况一样，希望劳动监察部门帮忙追讨欠薪。", "{road}"),
        ("希望社区多提供就业岗位",
         "我今年{age}岁，原来在厂里上班，厂子关停后一直没找到合适工作。想了解社区公益性岗位的报名条件，"
         "也希望多组织适合大龄人员的招聘会。", ""),
        ("咨询失业人员技能培训补贴",
         "听说失业人员参加技能培训可以领补贴，想学{job}或者养老护理，不知道去哪里报名、需要什么材料、补贴多少，"
         "希望给个明白的说法。", ""),
        ("孩子毕业半年还没找到工作",
         "孩子去年大专毕业，学的是会计，投了很多简历没有回音，在家待了半年情绪不好。希望了解县里对未就业毕业生的"
         "帮扶政策，有没有见习岗位。", ""),
        ("灵活就业人员社保缴费咨询",
         "我在{market}摆摊，属于灵活就业，想问社保断缴了{n}年还能不能补缴，补缴要多少钱，医保和养老能不能分开交。", "{market}"),
    ],
    "housing": [
        ("{old}老楼加装电梯难",
         "{old}{b}幢是{year}年建的老房子，共{floors}层，楼里老人多，上下楼非常困难。大部分住户同意加装电梯，"
         "但一楼住户有顾虑，费用分摊也谈不拢。希望社区和住建部门牵头协调，并讲清楚补助政策。", "{old}{b}幢"),
        ("顶楼漏水维修基金难申请",
         "我家住{xq}{b}幢顶楼，一下雨就漏水，墙皮都泡掉了。想动用维修基金修屋面，但要三分之二业主签字，"
         "很多房子是出租的，签不齐，希望帮忙想办法。", "{xq}{b}幢"),
        ("{old}无物业管理",
         "{old}原来的物业公司去年撤走了，现在垃圾没人清、路灯坏了没人修、大门也没人看。居民想成立业委会又不懂程序，"
         "希望街道和社区帮助引进物业或者先托管起来。", "{old}"),
        ("老旧小区改造进度咨询",
         "听说{old}列入今年老旧小区改造计划，但一直没动工。想问什么时候开工，改造内容包括哪些，有没有雨污分流和"
         "增设停车位，居民能不能提意见。", "{old}"),
        ("申请公租房条件咨询",
         "我和老伴都是{age}岁以上，一直在外租房，房租每月{yuan}元压力很大。想申请公租房，不知道户籍和收入有什么要求，"
         "要排多久。", ""),
    ],
    "traffic": [
        ("{old}停车位严重不足",
         "{old}建于{year}年，只有{spaces}个车位，现在居民车辆超过{cars}辆，晚上车停满消防通道和绿化带，救护车都进不来。"
         "建议利用{road}边的闲置地块建临时停车场，或者错时开放附近单位的停车场。", "{old}"),
        ("{school}门口上下学拥堵",
         "每天早上七点半和下午四点，{school}门口{road}上接送车辆乱停，电动车、私家车挤成一团，孩子过马路很危险。"
         "建议设置临时停车区、增加交警或志愿者疏导。", "{school}门口"),
        ("建议在{road}增设公交站点",
         "{road}一带新建了好几个小区，最近的公交站要走二十分钟，老人看病、孩子上学都不方便。建议增设站点或者调整线路，"
         "早晚高峰加密班次。", "{road}"),
        ("{road}与{road2}路口缺红绿灯",
         "{road}与{road2}交叉口车流量很大，没有红绿灯也没有斑马线，最近一个月就发生了{n}起剐蹭，老人和学生过马路提心吊胆，"
         "希望尽快增设信号灯。", "{road}与{road2}交叉口"),
        ("小区电动自行车充电桩不够",
         "{xq}只有{n}组充电桩，几百辆电动车根本不够用，不少人从楼上拉线充电，存在很大火灾隐患。希望增加集中充电设施，"
         "收费也要合理。", "{xq}"),
        ("{road}夜间货车乱停占道",
         "{road}晚上经常有大货车停一整夜，占了半条车道，视线被挡住，骑车的人很危险。希望交警加强夜间巡查，"
         "在附近规划货车停车点。", "{road}"),
    ],
    "medical": [
        ("异地就医报销手续咨询",
         "我母亲长期在外地跟着子女住，在当地住院花了{money}元，回来报销时说没有备案比例要降低。想了解异地就医备案怎么办，"
         "已经发生的费用能不能补办。", ""),
        ("{hosp}专家号太难挂",
         "在{hosp}看病，专家号网上一放出来就没了，老年人不会用手机，只能半夜去排队。建议保留一部分现场号给老人，"
         "或者社区卫生服务中心帮忙预约。", "{hosp}"),
        ("希望社区卫生站延长服务时间",
         "上班族下班后社区卫生站已经关门，孩子晚上发烧只能去县医院挂急诊。希望{hosp}能开设夜间门诊或者周末门诊。", "{hosp}"),
        ("慢性病药品社区配不到",
         "我有高血压和糖尿病，医生开的{n}种药里有两种社区卫生服务中心没有，每个月都要跑县医院配药，排队半天。"
         "希望社区药品目录和县医院衔接上。", "明湖街道社区卫生服务中心"),
        ("医保门诊报销比例咨询",
         "今年门诊共济改革以后，我家老人门诊报销比例和起付线变了，看不懂报销单。希望医保部门来社区讲一讲，"
         "印发通俗的明白纸。", ""),
    ],
    "education": [
        ("孩子小学入学学区咨询",
         "我家住{xq}，孩子明年上一年级，听说今年学区要调整，不知道是划到{primary}还是别的学校。希望教育局早点公布"
         "划片方案，给家长留出准备时间。", "{xq}"),
        ("小学课后服务时间太早结束",
         "{primary}的课后服务四点半就结束了，双职工家庭根本接不了。希望延长到五点半，内容也不要只是写作业，"
         "可以加一些体育和兴趣活动。", "{primary}"),
        ("柳岸片区公办幼儿园学位紧张",
         "柳岸一带新建小区多，{n}百多户年轻家庭，附近只有柳岸幼儿园一所公办园，报名要摇号。希望新建或扩建公办幼儿园。", "柳岸幼儿园"),
        ("学校周边违规校外培训",
         "{school}附近有几家培训机构周末还在上学科类课程，收费{yuan}元一期，还要一次交一年。希望教育部门查一查。", "{school}附近"),
        ("随迁子女入学材料咨询",
         "我们夫妻在青禾打工{n}年了，有居住证和社保，孩子想在这边上初中。想问随迁子女入学要哪些材料、什么时候报名。", ""),
    ],
    "culture": [
        ("社区文化活动室开放时间短",
         "柳岸社区文化活动室只在工作日白天开放，上班的人根本用不上。希望晚上和周末也开放，增加书画、戏曲等活动。", "柳岸社区文化活动室"),
        ("建议修缮{park}旁的老石桥",
         "{park}旁边的老石桥有上百年历史，现在栏杆松动、桥面开裂，游客还在上面拍照，很危险。建议文物部门鉴定后修缮。", "{park}"),
        ("景区节假日周边乱收停车费",
         "国庆期间{park}周边有人私自拉绳圈地收停车费，一次{n}十元，也不给票据。希望文旅和执法部门规范管理。", "{park}周边"),
        ("希望增设图书馆社区分馆",
         "孩子放学想看书，县图书馆太远。听说可以建社区分馆、通借通还，希望在柳岸社区服务中心设一个。", ""),
        ("广场文艺演出场地不足",
         "社区的文艺队有{kids}多人，排练只能在{park}空地，下雨就没地方去。希望协调一个室内排练场地。", "{park}"),
    ],
    "environment": [
        ("{road}工地夜间施工扰民",
         "{road}边的工地经常施工到晚上{hour}点，打桩声和渣土车声音很大，老人孩子都睡不好。打过热线，停两天又开始了。"
         "希望查一下有没有夜间施工许可。", "{road}工地"),
        ("楼下餐馆油烟扰民",
         "{xq}{b}幢楼下新开了一家烧烤店，油烟直接排到楼上，窗户都不敢开，晚上还很吵。希望督促安装油烟净化设施。", "{xq}{b}幢"),
        ("{river}河道发黑发臭",
         "{river}靠近{xq}一段夏天水发黑、有臭味，还能看到有管子往河里排水。希望查清排污口，尽快治理。", "{river}"),
        ("垃圾分类投放点设置不合理",
         "{xq}的垃圾分类投放点就在{b}幢窗户底下，夏天味道很重，还招苍蝇。希望把投放点挪远一点，定时清洗。", "{xq}"),
        ("{park}附近工厂异味",
         "最近傍晚在{park}散步经常闻到刺鼻的化学品气味，好像是附近厂里排的。希望环保部门夜间监测一下。", "{park}"),
    ],
    "elderly": [
        ("希望社区开办老年食堂",
         "社区独居和高龄老人很多，自己做饭不方便，外卖又贵又油。希望在柳岸社区开办老年食堂，中午供应一荤两素，"
         "价格实惠，行动不便的可以送餐上门。", "柳岸社区"),
        ("独居老人需要上门服务",
         "我父亲{old_age}岁，一个人住在{xq}{b}幢，子女都在外地。希望社区定期上门探望，能不能安装紧急呼叫设备。", "{xq}{b}幢"),
        ("高龄津贴发放咨询",
         "我母亲今年满{old_age}岁了，听说有高龄津贴，但一直没收到。想问要不要自己申请，去哪里办，能不能补发。", ""),
        ("居家适老化改造申请",
         "家里老人腿脚不好，卫生间想装扶手、换防滑地砖。听说有适老化改造补贴，想了解申请条件和流程。", ""),
        ("日间照料中心活动太少",
         "社区日间照料中心平时只有几个老人打牌，活动很少。希望增加健康讲座、康复训练，请医生定期来量血压。", "柳岸社区日间照料中心"),
        ("养老院床位费上涨过快",
         "我家老人住在县里一家民办养老院，今年床位费一下涨了{pct}0元，事先也没通知。希望有关部门规范收费。", ""),
    ],
    "food_safety": [
        ("超市销售过期食品",
         "在{road}一家超市买的酸奶回家发现已经过期{n}天，找店里只肯退货不肯赔偿。希望市场监管部门查一查这家店。", "{road}"),
        ("学校周边无证食品摊点",
         "{school}门口放学时有好几个流动摊卖炸串和辣条，没有证照，卫生很差。孩子吃了拉肚子，希望整治。", "{school}门口"),
        ("{market}活禽售卖卫生差",
         "{market}里活禽摊位和熟食摊挨在一起，地面污水横流，苍蝇很多。希望加强日常检查，分区经营。", "{market}"),
        ("外卖店后厨卫生问题",
         "在外卖平台上点了一家叫\"{shop}\"的店，后来路过发现是在居民楼里做饭，环境很脏。希望查一下有没有证照。", "{xq}"),
    ],
    "urban": [
        ("{xq}{b}幢存在群租",
         "{xq}{b}幢有一套房子被隔成了{n}间出租，住了十几个人，晚上进出吵闹，楼道堆满杂物，还有人在屋里充电瓶车，"
         "消防隐患很大。希望有关部门查处。", "{xq}{b}幢"),
        ("{road}占道经营严重",
         "{road}人行道被水果摊、早餐摊占满，行人只能走机动车道，早上特别乱。希望执法部门规范管理，划定临时摊点。", "{road}"),
        ("{road}路灯长期不亮",
         "{road}靠近{xq}一段有{n}盏路灯坏了两个多月，晚上黑漆漆的，老人摔过跤。希望尽快维修。", "{road}"),
        ("{old}私搭乱建占绿地",
         "{old}一楼住户在公共绿地上搭了彩钢棚，越搭越大，堵住了消防通道。居民多次反映给物业没用，希望依法拆除。", "{old}"),
        ("{xq}建筑垃圾无人清运",
         "{xq}几户装修后把建筑垃圾堆在{b}幢门口，一个多月没人清运，下雨天泥水满地。希望社区和环卫协调清运。", "{xq}{b}幢"),
        ("{xq}高峰时段水压不足",
         "{xq}高层住户每天早晚用水高峰水压很低，{floors}楼以上经常没水，热水器都点不着火。希望自来水公司查一查管网和加压泵。", "{xq}"),
        ("{xq}高空抛物问题突出",
         "{xq}{b}幢经常有人往楼下扔垃圾，有一次差点砸到小孩。希望安装高空监控，加强宣传教育。", "{xq}{b}幢"),
    ],
    "security": [
        ("小区电动车频繁被盗",
         "{xq}最近一个月丢了{n}辆电动车，车棚的监控是坏的，报了警还没有消息。希望派出所加强夜间巡逻，督促物业修好监控。", "{xq}车棚"),
        ("希望加强防诈骗宣传",
         "我家老人接到冒充公检法的电话，差点把{money}元养老钱转出去，幸亏银行工作人员拦下。希望多到社区开展防诈骗宣传。", ""),
        ("{park}夜间聚集喧哗",
         "{park}晚上经常有年轻人聚集喝酒、飙车，声音很大，到凌晨还不散。希望公安部门加强夜间巡查。", "{park}"),
        ("老旧小区缺少监控探头",
         "{old}是开放式小区，没有门卫也没有监控，外来人员随便进出，最近有人家被撬门。希望安装监控和门禁。", "{old}"),
    ],
    "disputes": [
        ("楼上漏水邻里纠纷",
         "楼上住户卫生间漏水，把我家天花板泡坏了，找他们协商维修赔偿，对方一直推脱。希望社区调解委员会帮忙调解。", "{xq}{b}幢"),
        ("{xq}物业费收费纠纷",
         "{xq}物业服务很差，保洁一周才来一次，却要涨物业费，不少业主拒交，物业说要起诉。希望居委会组织业主和物业协商。", "{xq}"),
        ("装修公司拖延工期纠纷",
         "去年和{company}签了装修合同，付了{money}元，工期拖了{months}个月还没完工，质量也有问题，协商不成。想知道怎么维权。", ""),
        ("邻居占用公共楼道",
         "对门邻居把鞋柜、杂物堆在公共楼道里，还装了铁门，把楼道圈成自己家的，说了也不听。希望社区出面调解。", "{xq}{b}幢"),
        ("征收补偿协议有异议",
         "我家老房子在{road}征收范围内，评估价格比周边低很多，对补偿方案有异议，想知道怎么申请复核，找哪个部门。", "{road}"),
    ],
    "legal": [
        ("离婚财产分割法律咨询",
         "想咨询离婚时婚前父母出资买的房子怎么分，婚后一起还的房贷怎么算，孩子抚养权怎么判。", ""),
        ("没签劳动合同怎么维权",
         "在{company}干了{months}个月，一直没签劳动合同，现在被口头辞退。想问能不能要双倍工资，去哪里申请劳动仲裁。", ""),
        ("遗产继承问题咨询",
         "父亲去世没有留遗嘱，名下一套房子，兄弟姐妹{n}个意见不一致。想问法定继承怎么分，过户要办什么手续。", ""),
        ("借钱不还如何起诉",
         "朋友前年借了我{money}元，有微信转账记录没有借条，现在不还也不接电话。想问能不能起诉，诉讼费多少。", ""),
        ("反映食品安全公益诉讼线索",
         "听说检察院可以办公益诉讼，{market}附近有小作坊长期用地沟油炸油条，卖给学生和上班族。想反映这个线索，不知道怎么提交。", "{market}"),
        ("申请法律援助条件咨询",
         "我是低保户，和用人单位发生工伤赔偿纠纷，请不起律师。想了解申请法律援助需要什么条件和材料。", ""),
    ],
    "other": [
        ("感谢社区网格员热心帮助",
         "我家老人走失，社区网格员和志愿者找了一晚上才找到，特地来表示感谢，希望给予表扬。", ""),
        ("建议联络站周末也开放",
         "联络站只在工作日上午接待，上班族很难赶过来。建议每月安排一次周末或晚上接待，或者开通网上留言。", "柳岸社区人大代表联络站"),
        ("咨询如何联系本片区代表",
         "想知道我们小区对应的人大代表是谁，平时有事怎么联系，联络站门口的二维码扫了打不开。", "柳岸社区人大代表联络站"),
        ("咨询残疾证办理流程",
         "家里孩子是听力残疾，想办残疾证，不知道要去哪家医院鉴定、需要带什么材料，办下来有哪些补贴。", ""),
    ],
}

OPENINGS = ["我是{xq}的居民，", "我住在柳岸社区{b}幢，", "我代表楼里几户邻居来反映：",
            "这个问题已经反映过好几次了，", "今天特地请假过来，", "听邻居说联络站能反映问题，",
            "我是退休职工，"]
CLOSINGS = ["希望代表帮忙反映一下。", "请尽快给个答复。", "拜托代表跟进督促。",
            "周边居民意见都很大。", "这事已经拖了{months}个月了。", "谢谢代表！"]

DRAFT_TITLE = ["关于{short}的意见", "对{short}提建议", "{short}修改建议"]

# Replies. {unit} is filled with the handling unit, {dep} with a deputy.
REPLY_SPOT = {
    "legal": "接待代表{dep}当场解答了相关法律规定，建议诉求人携带证据材料到县公共法律服务中心或申请法律援助。",
    "other": "接待代表{dep}当场作了说明，并留下联络站联系电话，诉求人表示认可。",
    "default": "接待代表{dep}当场解释了相关政策和办理渠道，告知诉求人所需材料，诉求人表示理解。",
}

# Handling per template (keyed by the title template): which units may take it
# and how they reply, so that unit, reply and content agree.
HANDLING = {
    "{company}拖欠工资{months}个月": ("rs", ["经{unit}劳动保障监察立案调查，已责令用人单位限期支付拖欠工资，款项已全部发放到位。",
                                   "{unit}已约谈用人单位负责人，达成分期支付协议，首期工资已到账，后续由劳动监察跟踪。"]),
    "希望社区多提供就业岗位": ("rs jd", ["{unit}已将诉求人登记为就业困难人员，推荐了{n}个公益性岗位，并通知参加下月的专场招聘会。"]),
    "咨询失业人员技能培训补贴": ("rs", ["{unit}已电话告知培训报名点和补贴申领材料，诉求人已报名养老护理员培训班。"]),
    "孩子毕业半年还没找到工作": ("rs", ["{unit}已将其纳入未就业高校毕业生帮扶台账，提供了{n}个见习岗位信息和一对一职业指导。"]),
    "灵活就业人员社保缴费咨询": ("rs yb", ["{unit}答复：灵活就业人员可按规定续缴，断缴期间原则上不能补缴，已告知办理窗口和缴费档次。"]),
    "{old}老楼加装电梯难": ("zj jd sq", ["{unit}已会同社区召开楼道协商会{n}次，一楼住户补偿方案达成一致，加装电梯已进入设计审批。",
                              "{unit}已上门讲解加装电梯补助政策，并指导居民形成费用分摊方案，目前正在征求意见。"]),
    "顶楼漏水维修基金难申请": ("zj jd", ["经{unit}协调，维修资金已启动应急使用程序，屋面防水工程已完成施工。"]),
    "{old}无物业管理": ("jd sq", ["{unit}已引入国有物业公司对该小区进行托管，并指导居民筹备业主委员会。"]),
    "老旧小区改造进度咨询": ("zj", ["{unit}答复：该小区已列入改造计划，包括雨污分流和增设停车位，方案公示后将征求居民意见。"]),
    "申请公租房条件咨询": ("zj", ["{unit}已告知公租房申请条件和所需材料，诉求人已提交申请，进入审核轮候。"]),
    "{old}停车位严重不足": ("jt jd zf", ["{unit}已实地勘察，利用闲置地块新增临时停车位{spaces}个，并协调周边单位夜间错时开放停车场。"]),
    "{school}门口上下学拥堵": ("ga jt", ["经{unit}研究，已在学校门口设置临时停车区和护学岗，上下学高峰安排人员疏导。"]),
    "建议在{road}增设公交站点": ("jt", ["{unit}答复：已将该路段纳入线路优化方案，计划下季度增设站点，并加密早晚高峰班次。"]),
    "{road}与{road2}路口缺红绿灯": ("ga jt", ["{unit}答复：该路口信号灯已纳入建设计划，施工前先增设减速带、斑马线和警示标志。"]),
    "小区电动自行车充电桩不够": ("jd sq gd", ["{unit}已协调在小区新增集中充电桩{n}组，充电收费按规定公示。"]),
    "{road}夜间货车乱停占道": ("ga zf", ["{unit}已加强夜间巡查，对违停货车依法处理，并在附近规划了货车临时停放点。"]),
    "异地就医报销手续咨询": ("yb", ["{unit}已电话联系诉求人，指导办理异地就医备案，已发生费用补办备案后按规定报销。"]),
    "{hosp}专家号太难挂": ("wj", ["{unit}已督促医院为老年人保留现场号源，并开通社区卫生服务中心代预约服务。"]),
    "希望社区卫生站延长服务时间": ("wj", ["{unit}答复：社区卫生服务中心已于下月起开设工作日晚间和周末门诊。"]),
    "慢性病药品社区配不到": ("wj yb", ["{unit}已将诉求所涉药品纳入社区卫生服务中心配备目录，慢病患者可在社区配药。"]),
    "医保门诊报销比例咨询": ("yb", ["{unit}已安排工作人员到社区开展门诊共济政策宣讲，并发放了明白纸。"]),
    "孩子小学入学学区咨询": ("jy", ["{unit}答复：学区划分方案将于每年五月公布，诉求人所在小区对应学校不变。"]),
    "小学课后服务时间太早结束": ("jy", ["经{unit}协调，课后服务延长至下午五点半，并增加了体育和兴趣类课程。"]),
    "柳岸片区公办幼儿园学位紧张": ("jy", ["{unit}答复：柳岸幼儿园扩建工程已列入明年计划，新增学位九十个，过渡期通过普惠性民办园补充。"]),
    "学校周边违规校外培训": ("jy sj", ["{unit}已对相关培训机构开展检查，责令停止违规学科类培训并退还预收费用。"]),
    "随迁子女入学材料咨询": ("jy", ["{unit}已告知随迁子女入学所需材料和报名时间，诉求人已完成网上登记。"]),
    "社区文化活动室开放时间短": ("wl jd", ["{unit}已安排社区文化活动室周末和晚间开放，并新增书画、戏曲兴趣班。"]),
    "建议修缮{park}旁的老石桥": ("wl", ["{unit}已组织专业人员鉴定，对石桥采取临时围挡，修缮方案已报批。"]),
    "景区节假日周边乱收停车费": ("wl zf", ["{unit}已会同执法部门对景区周边开展检查，取缔了私设收费点。"]),
    "希望增设图书馆社区分馆": ("wl", ["{unit}答复：已将柳岸社区列入图书馆分馆建设点，实现与县图书馆通借通还。"]),
    "广场文艺演出场地不足": ("wl jd sq", ["{unit}已协调社区服务中心多功能厅供文艺队每周排练两次。"]),
    "{road}工地夜间施工扰民": ("hb zf", ["经{unit}现场检查，施工单位无夜间施工许可，已依法立案处罚并责令停止夜间施工。"]),
    "楼下餐馆油烟扰民": ("hb zf", ["{unit}已督促商户安装油烟净化设施并调整排烟口，经复测达标。"]),
    "{river}河道发黑发臭": ("hb", ["{unit}已排查出{n}处排污口并完成封堵，河道水质正在持续监测。"]),
    "垃圾分类投放点设置不合理": ("zf sq", ["{unit}已将投放点迁移至远离住户的位置，并增加了每日清洗频次。"]),
    "{park}附近工厂异味": ("hb", ["{unit}已开展夜间走航监测，对一家超标排放企业立案查处并责令整改。"]),
    "希望社区开办老年食堂": ("mz jd", ["{unit}已将柳岸社区纳入老年食堂建设点，现已试运营，高龄老人可享受用餐补贴和送餐上门。"]),
    "独居老人需要上门服务": ("mz sq", ["{unit}已为老人登记居家养老服务，安装了紧急呼叫设备，网格员每周上门探访。"]),
    "高龄津贴发放咨询": ("mz", ["经{unit}核实，老人符合高龄津贴条件，已办理申领并补发。"]),
    "居家适老化改造申请": ("mz", ["{unit}已受理适老化改造申请，评估后为老人家中安装了扶手和防滑地面。"]),
    "日间照料中心活动太少": ("mz sq", ["{unit}已引入社会组织运营日间照料中心，每周安排健康讲座和康复训练，社区医生定期量血压。"]),
    "养老院床位费上涨过快": ("mz sj", ["{unit}已约谈该养老机构，要求调价前提前告知并公示收费标准，本次涨价部分暂缓执行。"]),
    "超市销售过期食品": ("sj", ["经{unit}现场检查，已对涉事超市立案调查，责令下架过期食品，并督促依法赔偿。"]),
    "学校周边无证食品摊点": ("sj zf", ["{unit}会同执法部门对学校周边流动摊点开展了专项整治，并建立了常态巡查。"]),
    "{market}活禽售卖卫生差": ("sj", ["{unit}已督促市场开办方对活禽区实行隔离分区经营，并增加每日消杀。"]),
    "外卖店后厨卫生问题": ("sj", ["经{unit}核查，该店无证经营，已依法取缔并通知外卖平台下架。"]),
    "{xq}{b}幢存在群租": ("zf pcs jd", ["经{unit}联合派出所上门检查，群租房已整改恢复原状，违规充电问题已消除。"]),
    "{road}占道经营严重": ("zf", ["{unit}已在周边划定临时摊点区域，人行道占道经营得到整治。"]),
    "{road}路灯长期不亮": ("zf gd", ["{unit}已完成路灯线路检修，并建立定期巡查机制。"]),
    "{old}私搭乱建占绿地": ("zf zr", ["经{unit}调查，违章搭建已依法拆除，消防通道恢复畅通。"]),
    "{xq}建筑垃圾无人清运": ("zf sq", ["{unit}已协调环卫部门清运建筑垃圾，并督促物业设置装修垃圾临时堆放点。"]),
    "{xq}高峰时段水压不足": ("zls", ["{unit}已对小区二次供水加压泵进行检修更换，高峰时段水压恢复正常。"]),
    "反映食品安全公益诉讼线索": ("jc sj", ["{unit}已受理该线索并开展调查，涉事作坊已被依法查封。"]),
    "{xq}高空抛物问题突出": ("pcs sq", ["{unit}已协调在楼栋加装高空抛物监控，并入户开展宣传教育。"]),
    "小区电动车频繁被盗": ("pcs", ["{unit}已加强该小区夜间巡逻，督促物业修复车棚监控，已破获案件{n}起。"]),
    "希望加强防诈骗宣传": ("pcs ga", ["{unit}已安排民警和网格员进社区开展防诈骗宣传{n}场，并为老年人安装反诈软件。"]),
    "{park}夜间聚集喧哗": ("pcs", ["{unit}已将该区域纳入夜间重点巡逻路线，聚集喧哗现象明显减少。"]),
    "老旧小区缺少监控探头": ("pcs jd", ["{unit}已在小区主要出入口安装监控探头{n}个，门禁系统正在建设。"]),
    "楼上漏水邻里纠纷": ("sq sf", ["经{unit}组织人民调解，双方达成协议，维修费用由楼上住户承担，纠纷已化解。"]),
    "{xq}物业费收费纠纷": ("sq jd", ["{unit}已组织业主代表和物业公司协商，物业承诺整改服务质量，暂缓调价。"]),
    "装修公司拖延工期纠纷": ("sj sf", ["{unit}已组织双方调解，装修公司同意限期完工并返还部分款项。"]),
    "邻居占用公共楼道": ("sq", ["经{unit}上门调解，邻居已清理楼道杂物并拆除铁门。"]),
    "征收补偿协议有异议": ("zj xf", ["{unit}已告知申请复核评估的程序和期限，并安排评估机构上门解释评估依据。"]),
    "离婚财产分割法律咨询": ("sf", ["{unit}已安排律师与诉求人面谈，提供了书面法律意见。"]),
    "没签劳动合同怎么维权": ("sf rs", ["{unit}已指导诉求人申请劳动仲裁，并提供了法律援助。"]),
    "遗产继承问题咨询": ("sf", ["{unit}已安排公证员和律师解答法定继承和过户手续。"]),
    "借钱不还如何起诉": ("fy sf", ["{unit}已告知起诉材料、管辖和诉讼费标准，建议先行诉前调解。"]),
    "申请法律援助条件咨询": ("sf", ["{unit}已受理法律援助申请，指派律师代理工伤赔偿案件。"]),
    "感谢社区网格员热心帮助": ("jd sq", ["{unit}已对相关网格员和志愿者进行通报表扬。"]),
    "建议联络站周末也开放": ("sq jd", ["{unit}答复：联络站自下月起每月增加一次周六接待，并开通网上留言。"]),
    "咨询如何联系本片区代表": ("sq", ["{unit}已将本片区代表名单和联系方式告知诉求人，并更换了联络站二维码。"]),
    "咨询残疾证办理流程": ("mz sq", ["{unit}已告知残疾鉴定医院和所需材料，并协助预约了鉴定时间。"]),
}
DRAFT_HANDLING = ("fgw", ["该意见已整理后随县人大常委会意见汇总报送上级人大常委会法制工作机构，后续采纳情况将另行反馈。",
                          "意见已由{unit}报送，上级人大常委会法制工作机构回函称该条意见在修改稿中被吸收采纳。"])

CAT_WEIGHTS = {
    "traffic": 14, "urban": 13, "housing": 12, "elderly": 11, "medical": 10,
    "jobs": 6, "education": 6, "environment": 6, "disputes": 5, "legal": 5,
    "security": 4, "food_safety": 3, "culture": 3, "draft_law": 4, "other": 3,
}
SPOT_P = {"legal": 0.65, "other": 0.55, "disputes": 0.25}


def visitor_name():
    surname = pick(SURNAMES)
    k = 1 if rng.random() < 0.3 else 2
    return surname + "".join(rng.choice(GIVEN) for _ in range(k))


def visitor_phone():
    prefix = pick(["138", "139", "135", "136", "137", "150", "151", "152", "158", "159",
                   "186", "187", "188", "189", "191", "199"])
    last = f"{rng.randint(0, 9999):04d}"
    return prefix + "0000" + last


def style_phone(p):
    r = rng.random()
    if r < 0.8:
        return p
    style = rng.randrange(3)
    if style == 0:
        return f"{p[:3]} {p[3:7]} {p[7:]}"
    if style == 1:
        return f"{p[:3]}-{p[3:7]}-{p[7:]}"
    return f"+86 {p}"


ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def id_check(first17):
    s = sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS))
    return "10X98765432"[s % 11]


def id_number():
    start = dt.date(1940, 1, 1).toordinal()
    end = dt.date(2005, 12, 31).toordinal()
    birth = dt.date.fromordinal(rng.randint(start, end))
    first17 = COUNTY_CODE + birth.strftime("%Y%m%d") + f"{rng.randint(1, 999):03d}"
    return first17 + id_check(first17)


def address():
    r = rng.random()
    if r < 0.45:
        return f"柳岸社区{rng.randint(1, 24)}幢{rng.randint(1, 4)}单元"
    if r < 0.8:
        return f"明湖街道{pick(XQ)}{rng.randint(1, 24)}幢{rng.randint(1, 4)}单元{rng.randint(1, 6)}0{rng.randint(1, 4)}室"
    if r < 0.95:
        return f"明湖街道{pick(COMMUNITIES)}"
    return f"青禾县{pick(ROADS)}{rng.randint(1, 300)}号"


def reception_days():
    days = []
    for m in range(1, 12):
        for d in (10, 20):
            days.append(dt.date(2026, m, d))
    return days


def weighted(d):
    keys = list(d)
    return rng.choices(keys, weights=[d[k] for k in keys])[0]


def status_weights(day):
    if day == dt.date(2026, 11, 20):
        return {"已登记": 55, "已受理": 40, "已交办": 5}
    if day == dt.date(2026, 11, 10):
        return {"已登记": 8, "已受理": 15, "已交办": 30, "办理中": 27, "已答复": 10, "已办结": 10}
    if day == dt.date(2026, 10, 20):
        return {"已受理": 3, "已交办": 7, "办理中": 15, "已答复": 30, "已办结": 45}
    if day == dt.date(2026, 10, 10):
        return {"办理中": 6, "已答复": 22, "已办结": 72}
    if day == dt.date(2026, 9, 20):
        return {"办理中": 4, "已答复": 14, "已办结": 82}
    return {"已答复": 6, "已办结": 94}


def make_content(cat, s):
    if cat == "draft_law":
        law, short, opinions = pick(LAWS)
        title = pick(DRAFT_TITLE).format(short=short)
        ops = rng.sample(opinions, rng.choice([1, 1, 2, 3]))
        if len(ops) == 1:
            content = f"看到{law}在征求意见，提一条建议：{ops[0]}。"
        else:
            body = "\n".join(f"{i}. {o}。" for i, o in enumerate(ops, start=1))
            content = f"对{law}提{len(ops)}点意见：\n{body}"
        return title, content, "", DRAFT_HANDLING
    title, content, place = pick(T[cat])
    handling = HANDLING[title]
    content = content.format(**s)
    # Spoken openings and closings so that rows from the same template differ.
    if rng.random() < 0.4:
        content = pick(OPENINGS).format(**s) + content
    if rng.random() < 0.4:
        extra = pick(CLOSINGS).format(**s)
        if len(content) + len(extra) <= 200:
            content += extra
    return title.format(**s), content, place.format(**s), handling


APPEAL_HEADER = ["日期", "姓名", "电话", "身份证号", "住址", "类别", "标题", "诉求内容", "地点",
                 "接待代表", "紧急程度", "办理方式", "承办单位", "办理期限", "答复", "满意度", "办理状态"]


NOV10, NOV20 = dt.date(2026, 11, 10), dt.date(2026, 11, 20)
OPEN_STATES = ("已交办", "办理中")
UNIT_STATES = ("已交办", "办理中", "已答复", "已办结")


def appeal_rows(deputies):
    days = reception_days()
    counts = [12] * len(days)
    while sum(counts) < 320:
        counts[rng.randrange(len(days))] += 1
    on_duty_by_day = {10: [], 20: []}
    for _id, name, _lvl, _ph, _sp, duty in deputies:
        for d in duty.split(";"):
            on_duty_by_day[int(d)].append(name)

    visitors = []   # earlier visitors, for the occasional repeat visit
    recs = []
    for day, count in zip(days, counts):
        present = rng.sample(on_duty_by_day[day.day], rng.randint(2, 4))   # deputies in the station that day
        minutes = sorted(rng.randint(0, 150) for _ in range(count))
        for mins in minutes:
            when = dt.datetime(day.year, day.month, day.day, 9, 0) + dt.timedelta(minutes=mins)
            s = slots()

            if visitors and rng.random() < 0.05:
                name, phone, idno, addr = pick(visitors)
            else:
                name = "" if rng.random() < 0.05 else visitor_name()
                phone = "" if rng.random() < 0.05 else visitor_phone()
                idno = id_number() if name and rng.random() < 0.33 else ""
                addr = address()
                if name:
                    visitors.append((name, phone, idno, addr))
            phone_text = style_phone(phone) if phone else ""

            cat = weighted(CAT_WEIGHTS)
            title, content, place, handling = make_content(cat, s)
            if rng.random() < 0.25:
                place = ""
            # ~3% of rows leave the category blank (the importer files them under 其他):
            # half of the "other" rows, and now and then a row staff forgot to classify.
            blank_p = {"other": 0.5, "draft_law": 0.0}.get(cat, 0.012)
            cat_text = "" if rng.random() < blank_p else CAT_ZH[cat]

            reps = rng.sample(present, 2 if rng.random() < 0.3 else 1)
            urgency = weighted({"一般": 85, "紧急": 12, "特急": 3})

            spot_p = SPOT_P.get(cat, 0.19)
            if day == NOV20:
                spot_p /= 2     # the latest day: most appeals are only just registered
            if cat == "draft_law":
                method = "立法意见"
            elif rng.random() < spot_p:
                method = "当场答复"
            elif rng.random() < 0.15:
                method = "代表建议"
            else:
                method = "交办"

            if method == "当场答复":
                status = "已办结" if (day < NOV10 or rng.random() < 0.6) else "已答复"
            else:
                status = weighted(status_weights(day))

            recs.append({"day": day, "when": when, "name": name, "phone": phone_text, "id": idno,
                         "addr": addr, "cat": cat, "cat_text": cat_text, "title": title,
                         "content": content, "place": place, "reps": reps, "urgency": urgency,
                         "method": method, "status": status, "limit": None, "s": s,
                         "handling": handling})

    enforce_scenarios(recs)

    rows = []
    for r in recs:
        method, status, cat, s = r["method"], r["status"], r["cat"], r["s"]
        unit = deadline = reply = sat = ""
        if method != "当场答复" and status in UNIT_STATES:
            unit = U[pick(r["handling"][0].split())]
            limit = r["limit"] or rng.randint(15, 30)
            deadline = (r["day"] + dt.timedelta(days=limit)).isoformat()
        if method == "当场答复":
            reply = REPLY_SPOT.get(cat, REPLY_SPOT["default"]).format(dep=r["reps"][0])
        elif status in ("已答复", "已办结"):
            reply = pick(r["handling"][1]).format(unit=unit, **s)
        if status == "已办结":
            sat = "满意" if rng.random() < 0.85 else "基本满意"
        rows.append([r["when"].strftime("%Y-%m-%d %H:%M"), r["name"], r["phone"], r["id"], r["addr"],
                     r["cat_text"], r["title"], r["content"], r["place"], "、".join(r["reps"]),
                     r["urgency"], method, unit, deadline, reply, sat, status])
    return rows


def enforce_scenarios(recs):
    """Make sure the states the app must show exist, whatever the dice said.

    - 5-6 overdue rows: 已交办/办理中 with a deadline before 2026-11-22 (rows from
      2026-10-10 / 10-20, whose 15-30 day limit always ends by 11-19);
    - 4-5 due-soon rows: 2026-11-10 rows 已交办/办理中 due 11-25 or 11-26;
    - 2026-11-10 also has a couple of 已登记 and 已受理 rows, so the last two
      months cover all six states.
    """
    referable = [r for r in recs if r["method"] in ("交办", "代表建议")]

    overdue = [r for r in referable if r["status"] in OPEN_STATES and r["day"] < NOV10]
    pool = [r for r in referable if r["day"] in (dt.date(2026, 10, 10), dt.date(2026, 10, 20))
            and r["status"] not in OPEN_STATES]
    rng.shuffle(pool)
    want = rng.randint(5, 6)
    while len(overdue) < want and pool:
        r = pool.pop()
        r["status"] = rng.choice(OPEN_STATES)
        overdue.append(r)

    nov10 = [r for r in referable if r["day"] == NOV10]
    rng.shuffle(nov10)
    soon_target = rng.randint(4, 5)
    for r in nov10[:soon_target]:
        r["status"] = rng.choice(OPEN_STATES)
        r["limit"] = rng.choice([15, 16])       # 2026-11-25 / 2026-11-26
    for r, st in zip(nov10[soon_target:soon_target + 4], ["已登记", "已受理", "已受理", "已登记"]):
        r["status"] = st
        r["limit"] = None
    for r in nov10[soon_target + 4:]:
        if r["status"] in OPEN_STATES and r["limit"] is None:
            r["limit"] = rng.randint(17, 30)    # keep the due-soon count exact


def write_appeals(rows):
    with open(os.path.join(OUT, "appeals.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(APPEAL_HEADER)
        w.writerows(rows)


README = """# jiedai sample data / 示例数据

本目录全部数据均为虚构：所有人名、电话号码、身份证号码、地名（青禾县、明湖街道、柳岸社区等）和单位名称都是编造的，与任何真实的人或地方无关。
Everything in this directory is fictional: every person, phone number, ID number, place (青禾县, 明湖街道, 柳岸社区 ...) and unit name is invented.

Regenerate with `python3 generate.py` (standard library only, deterministic seed 20261122).

## generate.py
生成本目录所有文件的 Python 3 脚本，只用标准库，随机种子固定，可重复生成。
The Python 3 generator for every file here; standard library only, fixed seed, reproducible output.

## station.toml
一个虚构联络站（柳岸社区人大代表联络站）的配置：站点编码、接待日（每月10日、20日）、接待时段、3名工作人员（S02 的 PIN 为 2468）和承办单位名单。人员均为虚构。
Configuration of one fictional liaison station: code, reception days (10th and 20th), hours, 3 staff members (S02 has PIN 2468) and the handling units. All people are fictional.

## deputies.csv
18 名虚构人大代表（D001–D018，覆盖全国、省、市、县、乡镇五级），含电话、专长和值班日；UTF-8 无 BOM。姓名、电话均为虚构（电话中段为 0000）。
18 fictional deputies across all five levels, with phone, specialties and duty days; UTF-8 without BOM. Every name and phone number is fictional.

## deputies-gb18030.csv
与 deputies.csv 内容相同，但用 GB18030 编码、CRLF 换行，模拟中文 Windows 上 Excel 另存的 CSV，用于测试导入时的编码识别。数据同样全部虚构。
The same rows as deputies.csv encoded in GB18030 with CRLF line endings, as Excel on Chinese Windows saves CSV; for testing encoding detection on import. Equally fictional.

## categories.csv
15 个诉求类别：代码、中文名称、英文名称。
The 15 appeal categories: code, Chinese name, English name.

## appeals.csv
2026-01-10 至 2026-11-20 各接待日（每月10日、20日）登记的 320 条虚构历史诉求，含来访人、诉求内容、接待代表、办理方式、承办单位、办理期限、答复、满意度和办理状态。部分电话故意写成不同格式、少数类别留空、少数内容为多行，用于测试导入。所有来访人姓名、电话和身份证号（按 GB 11643-1999 校验位规则生成、地区码为虚构的 330999）均为虚构。
320 fictional historical appeals registered on the station's reception days from 2026-01-10 to 2026-11-20, with visitor, content, receiving deputies, handling method, unit, deadline, reply, satisfaction and status. Some phones are deliberately formatted in varied styles, a few categories are blank and a few contents span several lines, to exercise the importer. Every visitor name, phone number and ID number (valid GB 11643-1999 check digits, fictional region code 330999) is fictional.
"""


def main():
    write_station()
    deps = deputy_rows()
    write_deputies(deps)
    write_categories()
    write_appeals(appeal_rows(deps))
    with open(os.path.join(OUT, "README.md"), "w", encoding="utf-8", newline="\n") as f:
        f.write(README)


if __name__ == "__main__":
    main()
