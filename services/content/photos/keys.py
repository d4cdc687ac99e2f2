"""The typed key under which the content app keeps its photo library."""

from aiohttp import web

from services.content.photos.library import PhotoLibrary

PHOTOS = web.AppKey("photos", PhotoLibrary)
