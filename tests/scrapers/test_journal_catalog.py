from prodseg.classes import ClassList
from scrapers.catalog import CATALOG_COLUMNS, fold_records
from prodseg.journal import Journal
from scrapers.journal import done_pages, known_images


def record(pid, page, images, drops=(), complete=True, site="demo", class_name="cup"):
    return {"site": site, "product_id": pid, "title": f"T {pid}", "category": "Mugs", "class_name": class_name,
            "price": 5.0, "currency": "EUR", "page_url": page, "crawled_at": "2026-01-01T00:00:00+00:00",
            "complete": complete, "drops": list(drops),
            "images": [{"url": u, "sha256": h, "file": f"{h}.jpg", "width": 100, "height": 90,
                        "bytes": 1234, "format": "JPEG"} for u, h in images]}


def test_a_torn_last_line_is_skipped_and_not_glued_to_the_next_record(tmp_path):
    journal = Journal(tmp_path / "j.jsonl")
    journal.append(record("A", "/a", [("/a.jpg", "h1")]))
    journal.close()
    with open(tmp_path / "j.jsonl", "a") as fh:
        fh.write('{"site": "demo", "product_id": "B", "tit')  # killed mid-write
    assert [r["product_id"] for r in Journal(tmp_path / "j.jsonl").records()] == ["A"]
    journal = Journal(tmp_path / "j.jsonl")
    journal.append(record("C", "/c", [("/c.jpg", "h3")]))
    journal.close()
    assert [r["product_id"] for r in journal.records()] == ["A", "C"]


def test_fold_keeps_each_image_once_and_counts_cross_product_duplicates():
    records = [
        record("B", "/b", [("/b1.jpg", "h3"), ("/b-dup.jpg", "h1")], drops=[{"url": "/b404", "reason": "http_404"}]),
        record("A", "/a", [("/a1.jpg", "h1"), ("/a2.jpg", "h2")]),
        record("A", "/a", [("/a1.jpg", "h1"), ("/a2.jpg", "h2")]),  # resumed run re-crawled A
        record("G", "/g", [("/g.jpg", "h4")], class_name=None),
    ]
    classes = ClassList(("bowl", "cup"))
    frame, stats = fold_records(records, classes)
    assert list(frame.columns) == list(CATALOG_COLUMNS)
    assert frame["image_sha256"].tolist() == ["h1", "h2", "h3", "h4"]  # sorted by product, then URL
    # The shared photo belongs to the smallest product id, whatever the crawl order.
    assert frame.set_index("image_sha256").loc["h1", "product_id"] == "A"
    reordered, _ = fold_records([records[1], records[0], records[3]], classes)
    assert reordered["image_sha256"].tolist() == frame["image_sha256"].tolist()
    assert stats.duplicate_images == 1 and stats.products == 3 and dict(stats.drops) == {"http_404": 1}
    unknown = frame[frame["product_id"] == "G"].iloc[0]
    assert not unknown["known_class"] and frame["class_id"].isna().sum() == 1
    assert (frame.loc[frame["known_class"], "class_id"] == 2).all()   # cup is the list's second class


def test_fold_gives_no_class_to_a_name_the_catalogs_list_lacks():
    frame, _ = fold_records([record("A", "/a", [("/a.jpg", "h1")], class_name="lamp")], ClassList(("cup",)))
    assert frame["class_name"].isna().all() and frame["class_id"].isna().all() and not frame["known_class"].any()


def test_empty_journal_folds_to_an_empty_typed_catalog():
    frame, stats = fold_records([], ClassList(("cup",)))
    assert len(frame) == 0 and list(frame.columns) == list(CATALOG_COLUMNS) and stats.images == 0


def test_done_pages_need_complete_records_whose_files_still_exist(tmp_path):
    (tmp_path / "h1.jpg").write_bytes(b"x")
    records = [record("A", "/a", [("/a1.jpg", "h1")]),
               record("B", "/b", [("/b1.jpg", "h2")]),                  # file deleted since
               record("C", "/c", [("/c1.jpg", "h1")], complete=False)]  # hit a network failure
    assert done_pages(records, tmp_path) == {"/a"}
    assert set(known_images(records, tmp_path)) == {"/a1.jpg", "/c1.jpg"}
