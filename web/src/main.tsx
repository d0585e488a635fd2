import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { createBrowserRouter } from 'react-router'
import { App, newQueryClient, routes } from './App'
import './index.css'
import { applyTheme, keyFromFragment, useUI } from './store'

keyFromFragment()
applyTheme(useUI.getState().theme)

const router = createBrowserRouter(routes)
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App router={router} client={newQueryClient()} />
  </StrictMode>,
)
