// React Router sample app (built by e2e/build-sites.mjs with esbuild): links, programmatic
// navigation, a redirect and search-param updates, to check one page_view per route change.
import React from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Link, Navigate, Route, Routes, useNavigate, useParams, useSearchParams } from 'react-router-dom';

function Home() {
  return (
    <div>
      <h1>Home</h1>
      <Link id="to-about" to="/about">About</Link> <Link id="to-old" to="/old">Old page (redirects to About)</Link>
    </div>
  );
}

function About() {
  const navigate = useNavigate();
  return (
    <div>
      <h1>About</h1>
      <button id="go-item" onClick={() => navigate('/items/42')}>Item 42</button>
    </div>
  );
}

function Item() {
  const { id } = useParams();
  const [params, setParams] = useSearchParams();
  return (
    <div>
      <h1>Item {id}</h1>
      <p>sort: {params.get('sort') || 'none'}</p>
      <button id="sort" onClick={() => setParams({ sort: 'price' })}>Sort</button>
      <Link id="to-home" to="/">Home</Link>
    </div>
  );
}

createRoot(document.getElementById('root')).render(
  <BrowserRouter basename="/rr">
    <Routes>
      <Route path="/" element={<Home />} />
      <Route path="/about" element={<About />} />
      <Route path="/items/:id" element={<Item />} />
      <Route path="/old" element={<Navigate to="/about" replace />} />
    </Routes>
  </BrowserRouter>,
);
