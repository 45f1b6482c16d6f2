"""The jurisdiction tree 区 → 街道 → 社区 → 网格 → 小区 → 楼栋 → 单元 → 房屋 and scoping helpers."""
