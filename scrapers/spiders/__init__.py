"""Spiders of the prodseg Scrapy project."""
