"""Projects: created by the last signature on an agreement and its task book, then managed
until accepted, extended or terminated (第九条（八）, 第十二条 to 第十七条)."""
