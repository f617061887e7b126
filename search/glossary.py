"""A small English → Vietnamese glossary of Party and administrative terms.

Written for this project.  It lets BM25 take part in English and mixed queries: the English
words of a query that match an entry add the Vietnamese terms to the BM25 query (the dense side
reads the English itself).  Longer phrases win over the words inside them.
"""

from __future__ import annotations

GLOSSARY: dict[str, str] = {
    # bodies and people
    "party cell": "chi bộ", "party cells": "chi bộ", "cell": "chi bộ", "cells": "chi bộ",
    "party committee": "cấp ủy đảng ủy", "party committees": "cấp ủy đảng ủy",
    "district party committee": "Huyện ủy", "provincial party committee": "Tỉnh ủy",
    "standing committee": "Ban Thường vụ", "executive committee": "Ban Chấp hành",
    "central committee": "Ban Chấp hành Trung ương", "politburo": "Bộ Chính trị",
    "secretariat": "Ban Bí thư", "secretary": "bí thư", "deputy secretary": "phó bí thư",
    "propaganda department": "Ban Tuyên giáo", "propaganda": "tuyên truyền tuyên giáo",
    "organization department": "Ban Tổ chức", "organisation department": "Ban Tổ chức",
    "inspection committee": "Ủy ban Kiểm tra", "mass mobilization": "dân vận",
    "fatherland front": "Mặt trận Tổ quốc", "people's committee": "Ủy ban nhân dân",
    "people's council": "Hội đồng nhân dân", "grassroots": "cơ sở",
    "grassroots party organization": "tổ chức cơ sở đảng",
    "grassroots party organizations": "tổ chức cơ sở đảng",
    "party organization": "tổ chức đảng", "party organizations": "tổ chức đảng",
    "party member": "đảng viên", "party members": "đảng viên", "member": "đảng viên",
    "members": "đảng viên", "cadre": "cán bộ", "cadres": "cán bộ", "officials": "cán bộ",
    "propagandist": "báo cáo viên", "propagandists": "báo cáo viên",
    "reporter": "báo cáo viên", "head": "người đứng đầu", "leader": "người đứng đầu lãnh đạo",
    "leaders": "lãnh đạo", "bloc": "khối", "agencies": "cơ quan", "agency": "cơ quan",
    # documents
    "resolution": "nghị quyết", "resolutions": "nghị quyết", "directive": "chỉ thị",
    "directives": "chỉ thị", "conclusion": "kết luận", "plan": "kế hoạch", "plans": "kế hoạch",
    "official letter": "công văn", "dispatch": "công văn", "action programme": "chương trình hành động",
    "action program": "chương trình hành động", "programme": "chương trình",
    "program": "chương trình", "regulation": "quy định", "regulations": "quy định",
    "decision": "quyết định", "guidance": "hướng dẫn", "guideline": "hướng dẫn",
    "report": "báo cáo", "reports": "báo cáo", "reporting": "báo cáo", "notice": "thông báo",
    "party newspaper": "báo Đảng", "party newspapers": "báo Đảng", "newspapers": "báo",
    "magazines": "tạp chí",
    # time and obligations
    "deadline": "thời hạn định kỳ", "deadlines": "thời hạn định kỳ", "periodic": "định kỳ",
    "periodically": "định kỳ", "quarterly": "hàng quý", "quarter": "quý", "monthly": "hàng tháng",
    "annually": "hàng năm", "annual": "hàng năm", "yearly": "hàng năm", "every year": "hàng năm",
    "six months": "6 tháng", "six-month": "6 tháng", "regularly": "thường xuyên",
    "target": "chỉ tiêu mục tiêu", "targets": "chỉ tiêu mục tiêu", "goal": "mục tiêu",
    "goals": "mục tiêu", "tasks": "nhiệm vụ", "task": "nhiệm vụ", "duties": "nhiệm vụ",
    "solutions": "giải pháp", "measures": "biện pháp giải pháp",
    # topics
    "district": "huyện", "province": "tỉnh", "provincial": "tỉnh", "commune": "xã",
    "admission": "kết nạp", "admit": "kết nạp", "admitting": "kết nạp", "recruit": "kết nạp",
    "recruiting": "kết nạp phát triển đảng viên", "new members": "đảng viên mới",
    "degradation": "suy thoái", "deterioration": "suy thoái", "ideology": "tư tưởng",
    "ideological": "tư tưởng chính trị", "political": "chính trị", "morality": "đạo đức",
    "ethics": "đạo đức", "lifestyle": "lối sống", "self-evolution": "tự diễn biến",
    "self-transformation": "tự chuyển hóa", "self-criticism": "tự phê bình",
    "criticism": "phê bình", "inspection": "kiểm tra", "supervision": "giám sát",
    "discipline": "kỷ luật", "commitment": "cam kết", "study": "học tập",
    "studying": "học tập quán triệt", "dissemination": "quán triệt", "meeting": "sinh hoạt",
    "meetings": "sinh hoạt", "activities": "sinh hoạt hoạt động", "public opinion": "dư luận xã hội",
    "evaluation": "đánh giá", "assessment": "đánh giá xếp loại", "ranking": "xếp loại",
    "shortcomings": "hạn chế khuyết điểm", "weaknesses": "hạn chế yếu kém",
    "limitations": "hạn chế", "causes": "nguyên nhân", "cause": "nguyên nhân",
    "training": "đào tạo bồi dưỡng", "party fees": "đảng phí", "party dues": "đảng phí",
    "membership dues": "đảng phí", "party membership dues": "đảng phí", "dues": "đảng phí",
    "enterprises": "doanh nghiệp",
    "cooperatives": "hợp tác xã", "private": "ngoài nhà nước", "youth": "thanh niên",
    "union": "đoàn", "women": "phụ nữ", "farmers": "nông dân", "veterans": "cựu chiến binh",
    "internet": "internet", "social media": "mạng xã hội", "hostile": "thù địch",
    "information": "thông tin", "rewards": "khen thưởng", "commendation": "khen thưởng",
    # the state, elections, membership and conduct
    "national assembly": "Quốc hội", "deputies": "đại biểu", "deputy": "đại biểu",
    "election": "bầu cử", "elections": "bầu cử", "personnel": "nhân sự",
    "personnel work": "công tác nhân sự cán bộ", "constitution": "Hiến pháp",
    "party charter": "Điều lệ Đảng", "charter": "điều lệ", "join the party": "vào Đảng",
    "joining the party": "vào Đảng", "education": "trình độ học vấn giáo dục",
    "collective": "tập thể", "collectives": "tập thể", "individual": "cá nhân",
    "individuals": "cá nhân", "unit": "đơn vị", "units": "đơn vị", "leadership": "lãnh đạo",
    "management": "quản lý", "violation": "vi phạm", "violations": "vi phạm",
    "disciplined": "kỷ luật", "responsibility": "trách nhiệm", "standards": "tiêu chuẩn",
    "collaborators": "cộng tác viên", "internal": "nội bộ", "disunity": "mất đoàn kết",
    "democratic": "dân chủ", "democracy": "dân chủ", "template": "mẫu", "results": "kết quả",
    "online portal": "cổng thông tin điện tử", "web portal": "cổng thông tin điện tử",
}
